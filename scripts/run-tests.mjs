#!/usr/bin/env node
// Runs node's built-in test runner on the compiled tests. Node 20 does not expand globs, so the
// files are listed here: `unit` is every *.test.js under dist/ except the interop suite, which
// needs what .ci/run installs from Debian: the reference clients (libtorrent, Transmission) for
// test/interop, and Chromium for the web test in test/web.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

const suite = process.argv[2] ?? 'unit'
const filter = process.argv[3]
const INTEROP = join('dist', 'test', 'interop')
const WEB = join('dist', 'test', 'web')
const BENCH = join('dist', 'bench')

function walk(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path, out)
    else if (name.endsWith('.test.js')) out.push(path)
  }
  return out
}

if (!existsSync('dist')) {
  console.error('dist/ is missing: run `npm run build` first')
  process.exit(2)
}
let files = walk('dist', []).filter((f) => !f.startsWith(BENCH))
files =
  suite === 'interop'
    ? files.filter((f) => f.startsWith(INTEROP) || f.startsWith(WEB))
    : files.filter((f) => !f.startsWith(INTEROP) && !f.startsWith(WEB))
if (filter !== undefined) files = files.filter((f) => f.includes(filter))
if (files.length === 0) {
  console.log(`no ${suite} test files found`)
  process.exit(suite === 'interop' ? 0 : 1)
}
// Resume data and DHT tables of the commands the tests start go to a folder of the run's own,
// never the user's ~/.local/state.
const stateDir = mkdtempSync(join(tmpdir(), 'plexus-test-state-'))
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: { ...process.env, PLEXUS_TEST: '1', PLEXUS_STATE_DIR: stateDir },
})
rmSync(stateDir, { recursive: true, force: true })
process.exit(result.status ?? 1)

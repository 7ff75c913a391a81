import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { CLI_ENTRY } from '../../src/cli/spawn.js'

const plexus = (...args: string[]) =>
  spawnSync(process.execPath, [CLI_ENTRY, ...args], { encoding: 'utf8', timeout: 60_000 })

test('--help lists the commands', () => {
  const result = plexus('--help')
  assert.equal(result.status, 0)
  for (const command of ['ping', 'sim', 'demo']) assert.match(result.stdout, new RegExp(command))
})

test('--version prints the package version', () => {
  const result = plexus('--version')
  assert.equal(result.status, 0)
  assert.match(result.stdout.trim(), /^\d+\.\d+\.\d+$/)
})

test('an unknown command exits non-zero with a helpful message', () => {
  const result = plexus('frobnicate')
  assert.notEqual(result.status, 0)
  assert.match(result.stderr, /unknown command 'frobnicate'/)
  assert.match(result.stderr, /plexus --help/)
})

test('bad arguments are refused clearly with exit code 2', () => {
  const cases: [string[], RegExp][] = [
    [['sim', 'ping-mesh', '--hosts', 'many'], /hosts must be a number/],
    [['sim', 'ping-mesh', '--hosts', '1'], /hosts must be between 2/],
    [['sim', 'no-such-scenario'], /unknown scenario/],
    [['sim', 'ping-mesh', '--seed', '-4'], /seed must be between/],
    [['ping', 'localhost'], /expected HOST:PORT/],
    [['ping', '127.0.0.1:99999'], /expected HOST:PORT/],
    [['ping'], /missing target/],
    [['ping', '--listen', '--port', '70000'], /port must be between/],
  ]
  for (const [args, message] of cases) {
    const result = plexus(...args)
    assert.ok(result.status !== 0, `${args.join(' ')} should fail`)
    assert.match(result.stderr, message, `${args.join(' ')}: ${result.stderr}`)
  }
})

test('sim --json: same seed same bytes, other seed other bytes', () => {
  const run = (seed: string) =>
    plexus('sim', 'ping-mesh', '--seed', seed, '--hosts', '300', '--json')
  const a = run('7')
  const b = run('7')
  const c = run('8')
  assert.equal(a.status, 0, a.stderr)
  assert.equal(a.stdout, b.stdout)
  assert.notEqual(a.stdout, c.stdout)
  const report = JSON.parse(a.stdout) as { hosts: number; seed: number }
  assert.equal(report.hosts, 300)
  assert.equal(report.seed, 7)
})

test('sim runs a scenario from a JSON file, flags override it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-sim-'))
  try {
    const file = join(dir, 'mesh.json')
    writeFileSync(file, JSON.stringify({ scenario: 'ping-mesh', seed: 3, params: { hosts: 50 } }))
    const fromFile = plexus('sim', file, '--json')
    assert.equal(fromFile.status, 0, fromFile.stderr)
    assert.equal((JSON.parse(fromFile.stdout) as { hosts: number }).hosts, 50)
    const overridden = plexus('sim', file, '--hosts', '60', '--json')
    assert.equal((JSON.parse(overridden.stdout) as { hosts: number }).hosts, 60)
    writeFileSync(file, '{ not json')
    const broken = plexus('sim', file)
    assert.notEqual(broken.status, 0)
    assert.match(broken.stderr, /cannot read scenario file/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Id160 } from '../../src/core/id.js'
import { exportState } from '../../src/protocols/kademlia/index.js'
import { CLI_ENTRY } from '../../src/cli/spawn.js'

/** Issue 11, integrity 7, through the command line (PLEXUS_TEST=1 is inherited). */

const plexus = (...args: string[]) =>
  spawnSync(process.execPath, [CLI_ENTRY, ...args], { encoding: 'utf8', timeout: 30_000 })

const nodeArgs = ['--bind', '127.0.0.1', '--port', '0']

test('dht --state refuses a file that is not a state file, exit 1, file untouched', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-cli-dht-state-'))
  try {
    const torrent = join(dir, 'precious.torrent')
    const bytes = 'd8:announce17:http://t/announce4:infod4:name1:xee'
    writeFileSync(torrent, bytes)
    for (const args of [
      ['dht', ...nodeArgs, '--bootstrap', '127.0.0.1:9', '--state', torrent],
      ['dht', 'get', '00'.repeat(20), '--bootstrap', '127.0.0.1:9', '--state', torrent],
    ]) {
      const result = plexus(...args)
      assert.equal(result.status, 1, result.stderr)
      assert.equal(
        result.stderr,
        `plexus: error: ${torrent} is not a plexus DHT state file (unknown key 'announce'); ` +
          'refusing to use or overwrite it\n',
      )
      assert.equal(readFileSync(torrent, 'utf8'), bytes)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('dht --state with an empty table does not count as a bootstrap source', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-cli-dht-state-'))
  try {
    const state = join(dir, 'dht.state')
    const empty = exportState({ id: new Uint8Array(20).fill(3) as Id160, nodes: [] })
    writeFileSync(state, empty)
    // Outside tests this falls back to the public routers; under PLEXUS_TEST it must say so
    // (before, the empty table silently meant "no bootstrap" and the node waited forever).
    const result = plexus('dht', ...nodeArgs, '--state', state)
    assert.equal(result.status, 1, result.stderr)
    assert.match(result.stderr, /public routers are off under PLEXUS_TEST/)
    assert.deepEqual(new Uint8Array(readFileSync(state)), empty)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

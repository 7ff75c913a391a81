import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { address } from '../../core/address.js'
import type { Id160 } from '../../core/id.js'
import { exportState } from '../../protocols/kademlia/index.js'
import {
  chooseBootstrap,
  defaultDhtStatePath,
  PUBLIC_BOOTSTRAP,
  savedNodeCount,
} from './node-options.js'

const id = new Uint8Array(20).fill(7) as Id160

test('an empty saved table does not turn the public routers off (outside tests)', () => {
  assert.deepEqual(chooseBootstrap([], 0, false, false), PUBLIC_BOOTSTRAP)
  assert.deepEqual(chooseBootstrap([], 3, false, false), [])
  assert.deepEqual(chooseBootstrap(['127.0.0.1:1'], 0, false, false), ['127.0.0.1:1'])
  assert.deepEqual(chooseBootstrap([], 0, true, false), [])
  // Under the test runner the routers stay refused.
  assert.throws(() => chooseBootstrap([], 0, false, true), /public routers are off/)
  assert.deepEqual(chooseBootstrap([], 3, false, true), [])
})

test('savedNodeCount: missing 0, ours its nodes, a foreign file throws one line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-node-options-'))
  try {
    assert.equal(await savedNodeCount(join(dir, 'none')), 0)
    const ours = join(dir, 'dht.state')
    const node = { id: new Uint8Array(20).fill(1) as Id160, address: address('127.0.0.1', 6881) }
    writeFileSync(
      ours,
      exportState({ id, nodes: [node, { ...node, address: address('127.0.0.2', 1) }] }),
    )
    assert.equal(await savedNodeCount(ours), 2)
    writeFileSync(ours, exportState({ id, nodes: [] }))
    assert.equal(await savedNodeCount(ours), 0)
    const torrent = join(dir, 'x.torrent')
    writeFileSync(torrent, 'd8:announce9:http://t/e')
    await assert.rejects(savedNodeCount(torrent), (error: Error) => {
      assert.match(error.message, /x\.torrent is not a plexus DHT state file/)
      assert.ok(!error.message.includes('\n'))
      return true
    })
    assert.equal(readFileSync(torrent, 'utf8'), 'd8:announce9:http://t/e')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('defaultDhtStatePath: PLEXUS_STATE_DIR, else XDG_STATE_HOME, else ~/.local/state', () => {
  assert.equal(defaultDhtStatePath({ PLEXUS_STATE_DIR: '/srv/p' }), '/srv/p/dht.state')
  assert.equal(
    defaultDhtStatePath({ PLEXUS_STATE_DIR: '/srv/p', XDG_STATE_HOME: '/x' }),
    '/srv/p/dht.state',
  )
  assert.equal(defaultDhtStatePath({ XDG_STATE_HOME: '/x/state' }), '/x/state/plexus/dht.state')
  const fallback = join(homedir(), '.local', 'state', 'plexus', 'dht.state')
  assert.equal(defaultDhtStatePath({}), fallback)
  assert.equal(defaultDhtStatePath({ PLEXUS_STATE_DIR: '', XDG_STATE_HOME: '' }), fallback)
  assert.equal(defaultDhtStatePath({ XDG_STATE_HOME: 'relative' }), fallback)
})

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { GnutellaPlugin } from '../../src/drivers/gnutella/gnutella-plugin.js'
import { nodeGnutellaPlugin, startGnutellaNode } from '../../src/drivers/gnutella/node-gnutella.js'
import { promised } from '../../src/drivers/promises.js'
import { startNodePeer } from '../../src/peer/node-peer.js'
import type { PeerPlugin } from '../../src/peer/types.js'

/** Gnutella as a plug-in of a real Peer, on loopback. */
const LOCAL = { host: '127.0.0.1', port: 0 }

/** Resolves once `check` holds, polling (real sockets: no simulated clock to step). */
async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

test('a Peer runs the gnutella plug-in: status under plugins(), search and download through it, stopped with the peer', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plexus-gnutella-plugin-'))
  const content = randomBytes(300_000)
  mkdirSync(join(root, 'share'))
  writeFileSync(join(root, 'share', 'Moonlight Sonata.ogg'), content)
  mkdirSync(join(root, 'downloads'))
  const sharer = await startGnutellaNode({
    bind: LOCAL,
    hosts: [],
    ultrapeer: 'yes',
    shareDir: join(root, 'share'),
  })
  const peer = await startNodePeer({
    downloadDir: join(root, 'downloads'),
    stateDir: join(root, 'state'),
    listen: LOCAL,
    trackers: false,
    dht: false,
  })
  const plugin: GnutellaPlugin = nodeGnutellaPlugin({
    bind: LOCAL,
    hosts: [sharer.address],
    ultrapeer: 'auto',
    downloadDir: join(root, 'downloads'),
  })
  // The class satisfies the Peer's plug-in contract as it is.
  const asPlugin: PeerPlugin = plugin
  try {
    await promised<void>((done) => peer.use(asPlugin, done))
    await until(() => plugin.status().connections === 1, 'the leaf to join')
    const listed = peer.plugins().find((p) => p.name === 'gnutella')
    assert.ok(listed !== undefined)
    assert.equal(listed.status['role'], 'leaf')
    assert.equal(listed.status['connections'], 1)
    assert.equal(sharer.status().sharedFiles, 1)
    assert.equal(sharer.status().sharedBytes, content.length)
    assert.equal(sharer.status().role, 'ultrapeer')

    const search = plugin.search('moonlight')
    await until(() => search.files.length === 1, 'the hit')
    const file = search.files[0]
    assert.ok(file !== undefined)
    assert.equal(file.name, 'Moonlight Sonata.ogg')
    assert.equal(file.length, content.length)
    assert.deepEqual(file.sources, [sharer.address])
    assert.equal(plugin.searchResults(search.id), search)
    assert.equal(sharer.status().queriesReceived, 1)

    const { record, finished } = plugin.download(file)
    const result = await finished
    assert.ok(result !== undefined, record.error)
    assert.equal(record.state, 'completed')
    assert.equal(record.downloadedBytes, content.length)
    assert.deepEqual(readFileSync(join(root, 'downloads', 'Moonlight Sonata.ogg')), content)
    // The same file again while nothing runs is refused only because it exists on disk.
    const again = plugin.download(file)
    assert.equal(await again.finished, undefined)
    assert.match(again.record.error ?? '', /already exists/)
    assert.equal(plugin.downloads().length, 2)
  } finally {
    await promised<void>((done) => peer.stop(done))
    await promised<void>((done) => sharer.stop(done))
    rmSync(root, { recursive: true, force: true })
  }
  // The peer stopped the plug-in: it no longer answers.
  assert.throws(() => plugin.search('x'), /not running/)
})

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { utf8 } from '../../src/core/bytes.js'
import { promised } from '../../src/drivers/promises.js'
import { nodeOverlayPlugin, startOverlayPlugin } from '../../src/peer/node-overlay.js'
import { startNodePeer } from '../../src/peer/node-peer.js'
import type { OverlayPlugin } from '../../src/peer/overlay-plugin.js'
import type { PeerPlugin } from '../../src/peer/types.js'
import { FAST, until } from './overlay-loopback-harness.js'

/** Each overlay as a plug-in of a real Peer, on loopback. */

const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes)

for (const kind of ['chord', 'pastry', 'can'] as const) {
  test(`a Peer runs the ${kind} plug-in: status under plugins(), put/get through it, keys handed over when the peer stops`, async () => {
    const root = mkdtempSync(join(tmpdir(), `plexus-overlay-plugin-${kind}-`))
    const first = await startOverlayPlugin({
      kind,
      bind: '127.0.0.1',
      port: 0,
      bootstrap: [],
      tuning: FAST,
    })
    const peer = await startNodePeer({
      downloadDir: join(root, 'downloads'),
      stateDir: join(root, 'state'),
      listen: { host: '127.0.0.1', port: 0 },
      trackers: false,
      dht: false,
    })
    const plugin: OverlayPlugin = await nodeOverlayPlugin({
      kind,
      bind: '127.0.0.1',
      port: 0,
      bootstrap: [`127.0.0.1:${first.address.port}`],
      state: join(root, 'overlay.state'),
      tuning: FAST,
    })
    // The class satisfies the Peer's plug-in contract as it is.
    const asPlugin: PeerPlugin = plugin
    assert.equal(plugin.status().state, 'stopped')
    try {
      await promised<void>((done) => peer.use(asPlugin, done))
      await plugin.joined
      await until(`the ${kind} node to run`, () => plugin.status().state === 'running')
      const listed = peer.plugins().find((p) => p.name === 'overlay')
      assert.ok(listed !== undefined)
      assert.equal(listed.status['kind'], kind)
      assert.equal(listed.status['id'], plugin.status().id)
      await until('the two nodes to know each other', () =>
        plugin.status().neighbours.includes(`127.0.0.1:${first.address.port}`),
      )

      // Ten keys through the plug-in: each is read back through the other node.
      for (let i = 0; i < 10; i++) {
        const put = await plugin.put(utf8(`key ${i}`), utf8(`value ${i}`))
        assert.equal(put.ok, true, put.error)
      }
      for (let i = 0; i < 10; i++) {
        const got = await first.get(utf8(`key ${i}`))
        assert.equal(text(got.value), `value ${i}`, got.error)
      }
      // Pastry counts its replicas among its items, Chord and CAN do not.
      const held = first.status().storedKeys + plugin.status().storedKeys
      assert.ok(held >= 10, `${held} keys held`)
      const lookup = await plugin.lookup(plugin.idBytes(first.status().id) ?? new Uint8Array())
      assert.equal(lookup.ok, true, lookup.error)
      assert.ok(lookup.owner !== undefined)
    } finally {
      await promised<void>((done) => peer.stop(done))
    }
    try {
      // The peer stopped the plug-in: a graceful leave handed its keys to the first node.
      assert.equal(plugin.status().state, 'stopped')
      assert.deepEqual(plugin.status().neighbours, [])
      assert.throws(() => plugin.idBytes('00'), /not running/)
      await until('the keys handed over', () => first.status().storedKeys >= 10, 10_000)
      for (let i = 0; i < 10; i++) {
        const got = await first.get(utf8(`key ${i}`))
        assert.equal(text(got.value), `value ${i}`, got.error)
      }
    } finally {
      await promised<void>((done) => first.stop(done))
      rmSync(root, { recursive: true, force: true })
    }
  })
}

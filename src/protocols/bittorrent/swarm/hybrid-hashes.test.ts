import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Id160 } from '../../../core/id.js'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import { parseMetainfo, swarmHashes } from '../metainfo/index.js'
import { VECTORS } from '../metainfo/v2-vectors.test.js'
import { offersV2Upgrade, reservedWith, V2_UPGRADE_BIT } from '../wire/index.js'
import { FULL_RESERVED, Harness } from './fixture.js'

const hashing = new NodeHashing()
const parsed = (torrent: Uint8Array) => {
  const result = parseMetainfo(torrent, hashing)
  assert.ok(result.ok)
  return result.value
}
const hybrid = parsed(VECTORS.hybrid.torrent)
const v2Only = parsed(VECTORS.v2.torrent)

test('a hybrid is found under its v1 and its truncated v2 hash; v1 and v2-only under one', () => {
  const truncated = hybrid.infoHashV2?.slice(0, 20)
  assert.deepEqual(swarmHashes(hybrid), [hybrid.infoHash, truncated])
  assert.deepEqual(swarmHashes(v2Only), [v2Only.infoHash])
  assert.deepEqual(v2Only.infoHash, v2Only.infoHashV2?.slice(0, 20))
})

test("a hybrid's swarm accepts handshakes naming either hash, answering in kind", () => {
  const h = new Harness({ metainfo: hybrid })
  const v2Peer = h.accept('10.0.7.1')
  v2Peer.handshake({ infoHash: hybrid.infoHashV2?.slice(0, 20) as Id160 })
  const v1Peer = h.accept('10.0.7.2')
  v1Peer.handshake({ infoHash: hybrid.infoHash })
  assert.equal(v2Peer.closed, undefined)
  assert.equal(v1Peer.closed, undefined)
  // Each is answered with the hash it named (a v2 client hangs up on any other).
  assert.deepEqual(
    v2Peer.take('handshake').map((m) => m.infoHash),
    [hybrid.infoHashV2?.slice(0, 20)],
  )
  assert.deepEqual(
    v1Peer.take('handshake').map((m) => m.infoHash),
    [hybrid.infoHash],
  )
  assert.equal(h.take('peer_connected').length, 2)
  const stranger = h.accept('10.0.7.3')
  stranger.handshake({ infoHash: new Uint8Array(20).fill(1) as Id160 })
  assert.deepEqual(stranger.closed, { graceful: false })
  assert.deepEqual(stranger.take('handshake'), [], 'a stranger learns nothing')
  assert.deepEqual(
    h.take('remote_fault').map((fault) => fault.code),
    ['wrong_info_hash'],
  )
})

test('a v1 or v2-only swarm still greets an accepted connection at once', () => {
  const h = new Harness({ metainfo: v2Only })
  const remote = h.accept('10.0.7.4')
  assert.deepEqual(
    remote.take('handshake').map((m) => m.infoHash),
    [v2Only.infoHash],
  )
})

test('BEP 52 upgrade: a v1 handshake with the upgrade bit to a hybrid is answered with v2', () => {
  const h = new Harness({ metainfo: hybrid })
  const truncated = hybrid.infoHashV2?.slice(0, 20)
  const upgrading = h.accept('10.0.7.5')
  const withUpgrade = reservedWith([V2_UPGRADE_BIT])
  withUpgrade.forEach((bit, i) => (withUpgrade[i] = bit | (FULL_RESERVED[i] as number)))
  upgrading.handshake({ infoHash: hybrid.infoHash, reserved: withUpgrade })
  const [answer] = upgrading.take('handshake')
  assert.ok(answer)
  assert.deepEqual(answer.infoHash, truncated, 'the upgrade is taken')
  assert.equal(offersV2Upgrade(answer.reserved), false, 'a v2 answer offers nothing more')
  assert.equal(upgrading.closed, undefined)
  // A plain v1 peer (no bit) stays v1, and is offered the upgrade it may take next time.
  const plain = h.accept('10.0.7.6')
  plain.handshake({ infoHash: hybrid.infoHash })
  const [v1Answer] = plain.take('handshake')
  assert.ok(v1Answer)
  assert.deepEqual(v1Answer.infoHash, hybrid.infoHash)
  assert.equal(offersV2Upgrade(v1Answer.reserved), true)
})

test('dialling, a hybrid names its v1 hash and offers the upgrade; a v2-only one does not', () => {
  for (const [metainfo, offers] of [
    [hybrid, true],
    [v2Only, false],
  ] as const) {
    const h = new Harness({ metainfo })
    const them = { host: '10.0.8.1', port: 6881 }
    assert.equal(h.core.addPeers(h.now, [them], 'tracker'), 1)
    h.flush()
    const remote = h.completeDial(them)
    const [ours] = remote.take('handshake')
    assert.ok(ours)
    assert.deepEqual(ours.infoHash, metainfo.infoHash)
    assert.equal(offersV2Upgrade(ours.reserved), offers)
    // The upgraded answer (the truncated v2 hash) is accepted as the same swarm.
    remote.handshake({ infoHash: swarmHashes(metainfo).at(-1) as Id160 })
    assert.equal(remote.closed, undefined)
    assert.equal(h.take('peer_connected').length, 1)
  }
})

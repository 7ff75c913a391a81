import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Id160 } from '../../../core/id.js'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import { parseMetainfo, swarmHashes } from '../metainfo/index.js'
import { VECTORS } from '../metainfo/v2-vectors.test.js'
import { Harness } from './fixture.js'

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

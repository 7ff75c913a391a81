import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toHex } from '../../../core/bytes.js'
import type { Id160 } from '../../../core/id.js'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import type { Metainfo } from '../metainfo/index.js'
import { makeHybridTorrent, V2_PIECE_LENGTH } from '../storage/v2-fixtures.test.js'
import {
  decodeHashRequest,
  encodeHashes,
  HASH_REQUEST_ID,
  HASHES_ID,
  type HashRequest,
} from '../wire/hash-messages.js'
import {
  EXTENSION_PROTOCOL_BIT,
  FAST_EXTENSION_BIT,
  reservedWith,
  V2_UPGRADE_BIT,
} from '../wire/index.js'
import { FULL_RESERVED, Harness, type RemotePeer } from './fixture.js'

const hashing = new NodeHashing()
const sha256 = (parts: readonly Uint8Array[]) => hashing.sha256(parts)

/** A hybrid of two files with piece layers (4 and 6 pieces) and one of a single piece. */
const { m } = makeHybridTorrent([
  { path: ['a.bin'], length: 4 * V2_PIECE_LENGTH - 7 },
  { path: ['b.txt'], length: 500 },
  { path: ['c.bin'], length: 6 * V2_PIECE_LENGTH },
])
const layered = m.files.filter(
  (file) => file.piecesRoot !== undefined && file.length > V2_PIECE_LENGTH,
)

/** A hybrid opened from a magnet: the info dictionary from ut_metadata, no piece layers. */
function magnetHarness() {
  const store = new Map<string, Uint8Array>()
  const metainfo: Metainfo = { ...m, pieceLayers: store }
  return { h: new Harness({ metainfo, sha256, pieceLayerStore: store }), store }
}

const hashRequests = (remote: RemotePeer): HashRequest[] =>
  remote
    .take('unknown')
    .filter((message) => message.id === HASH_REQUEST_ID)
    .map((message) => {
      const decoded = decodeHashRequest(message.payload)
      assert.ok(decoded.ok)
      return decoded.value
    })

function seeding(remote: RemotePeer): RemotePeer {
  remote.send({ type: 'have_all' })
  remote.send({ type: 'unchoke' })
  return remote
}

test('a hybrid magnet downloads from v1 peers at once and fetches its layers from v2 peers', () => {
  const { h, store } = magnetHarness()
  // A v1-only client: no upgrade bit, the SHA-1 hash. It is never asked for hashes, and the
  // missing layers do not hold the download back (the SHA-1s verify pieces meanwhile).
  const v1 = h.accept('10.0.3.1')
  v1.handshake({ reserved: FULL_RESERVED })
  seeding(v1)
  assert.deepEqual(hashRequests(v1), [])
  assert.ok(v1.take('request').length > 0, 'blocks requested before any layer is in')
  // A v2 client, joined under the truncated v2 hash: asked for every missing layer.
  const v2 = h.accept('10.0.3.2')
  v2.handshake({ infoHash: m.infoHashV2?.slice(0, 20) as Id160 })
  seeding(v2)
  const asked = hashRequests(v2)
  assert.deepEqual(
    asked.map((r) => toHex(r.piecesRoot)).sort(),
    layered.map((file) => toHex(file.piecesRoot as Uint8Array)).sort(),
  )
  for (const request of asked) {
    const layer = m.pieceLayers.get(toHex(request.piecesRoot)) as Uint8Array
    const hashes = new Uint8Array(request.length * 32)
    hashes.set(layer)
    const pad = hashing.sha256([new Uint8Array(32), new Uint8Array(32)])
    for (let at = layer.length; at < hashes.length; at += 32) hashes.set(pad, at)
    v2.send({ type: 'unknown', id: HASHES_ID, payload: encodeHashes({ ...request, hashes }) })
  }
  assert.equal(store.size, layered.length)
  for (const [root, layer] of m.pieceLayers) assert.deepEqual(store.get(root), layer)
  assert.deepEqual(h.take('piece_layers_fetched'), [
    { type: 'piece_layers_fetched', files: layered.length },
  ])
  assert.equal(v1.closed, undefined)
  assert.equal(v2.closed, undefined)
})

test('a v1-hash handshake with the upgrade bit is a v2 peer of the hybrid', () => {
  const { h } = magnetHarness()
  const upgraded = h.accept('10.0.3.3')
  upgraded.handshake({
    reserved: reservedWith([FAST_EXTENSION_BIT, EXTENSION_PROTOCOL_BIT, V2_UPGRADE_BIT]),
  })
  seeding(upgraded)
  assert.equal(hashRequests(upgraded).length, layered.length)
})

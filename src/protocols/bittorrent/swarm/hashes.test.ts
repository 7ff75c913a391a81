import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { toHex } from '../../../core/bytes.js'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import { blockHashes, provesRoot, treeShape, type HashRange } from '../merkle/index.js'
import type { Metainfo } from '../metainfo/index.js'
import { Bitfield } from '../picker/index.js'
import { makeV2Torrent, V2_PIECE_LENGTH } from '../storage/v2-fixtures.test.js'
import {
  decodeHashes,
  decodeHashRequest,
  encodeHashes,
  encodeHashRequest,
  HASH_REJECT_ID,
  HASH_REQUEST_ID,
  HASHES_ID,
  type HashRequest,
} from '../wire/hash-messages.js'
import { Harness, type RemotePeer } from './fixture.js'

const hashing = new NodeHashing()
const sha256 = (parts: readonly Uint8Array[]) => hashing.sha256(parts)

/** Two files with piece layers (4 and 33 pieces of 32 KiB) and one of a single piece. */
const torrent = makeV2Torrent([
  { path: ['a.bin'], length: 100_000 },
  { path: ['b.txt'], length: 100 },
  { path: ['c.bin'], length: 33 * V2_PIECE_LENGTH - 5 },
])
const m = torrent.m
/** The file named `name` (padding files sit between them) and its pieces root. */
const fileNamed = (name: string) => {
  const index = m.files.findIndex((file) => file.path[file.path.length - 1] === name)
  const file = m.files[index]
  assert.ok(file?.piecesRoot !== undefined)
  return { index, file, root: file.piecesRoot }
}
const A = fileNamed('a.bin').root
const B = fileNamed('b.txt').root
const C = fileNamed('c.bin').root
const layerOf = (root: Uint8Array) => m.pieceLayers.get(toHex(root)) as Uint8Array

/** The bytes of `piece` within its file (v2 pieces never span files; the last one is short). */
function pieceBytes(piece: number): Uint8Array {
  const start = piece * m.pieceLength
  const file = m.files.find((f) => !f.pad && start >= f.offset && start < f.offset + f.length)
  assert.ok(file !== undefined, `no file holds piece ${piece}`)
  return torrent.content.slice(start, Math.min(start + m.pieceLength, file.offset + file.length))
}

/** Messages of one BEP 52 id the core sent to `remote`, removed from its inbox. */
function hashMessages(remote: RemotePeer, id: number): Uint8Array[] {
  return remote
    .take('unknown')
    .filter((message) => {
      if (message.id === id) return true
      remote.inbox.push(message)
      return false
    })
    .map((message) => message.payload)
}

const ask = (remote: RemotePeer, request: HashRequest) =>
  remote.send({ type: 'unknown', id: HASH_REQUEST_ID, payload: encodeHashRequest(request) })

test('a seed answers hash requests from its piece layers, with the uncles up to the root', () => {
  const h = new Harness({ metainfo: m, have: Bitfield.full(m.pieceCount), sha256 })
  const remote = h.open()
  remote.inbox.length = 0
  // libtorrent's request for a.bin's whole layer: 4 hashes, no uncles needed.
  const whole = { piecesRoot: A, baseLayer: 1, index: 0, length: 4, proofLayers: 1 }
  ask(remote, whole)
  const [answer] = hashMessages(remote, HASHES_ID)
  const decoded = decodeHashes(answer as Uint8Array)
  assert.ok(decoded.ok)
  assert.deepEqual(decoded.value.hashes, layerOf(A))
  // Half of c.bin's 64-node layer, from 32: uncles from the subtree's root up to the root.
  const half: HashRange = { baseLayer: 1, index: 32, length: 32, proofLayers: 5 }
  ask(remote, { piecesRoot: C, ...half })
  const second = decodeHashes(hashMessages(remote, HASHES_ID)[0] as Uint8Array)
  assert.ok(second.ok)
  const shape = treeShape(fileNamed('c.bin').file.length, V2_PIECE_LENGTH)
  assert.equal(second.value.hashes.length, (32 + 1) * 32)
  assert.ok(provesRoot(shape, C, half, second.value.hashes, hashing))
  assert.equal(remote.closed, undefined)
})

test('requests we cannot answer are rejected with their own header; garbage is a fault', () => {
  const h = new Harness({ metainfo: m, have: Bitfield.full(m.pieceCount), sha256 })
  const remote = h.open()
  remote.inbox.length = 0
  const unanswerable: HashRequest[] = [
    { piecesRoot: A, baseLayer: 0, index: 0, length: 8, proofLayers: 2 }, // block hashes
    { piecesRoot: A, baseLayer: 1, index: 4, length: 4, proofLayers: 1 }, // past the layer
    { piecesRoot: A, baseLayer: 1, index: 0, length: 4, proofLayers: 2 }, // proof above root
    { piecesRoot: B, baseLayer: 0, index: 0, length: 1, proofLayers: 0 }, // one piece
    { piecesRoot: new Uint8Array(32).fill(9), baseLayer: 1, index: 0, length: 2, proofLayers: 0 },
  ]
  for (const request of unanswerable) {
    ask(remote, request)
    const rejects = hashMessages(remote, HASH_REJECT_ID)
    assert.deepEqual(rejects.map(decodeHashRequest), [{ ok: true, value: request }])
  }
  assert.deepEqual(hashMessages(remote, HASHES_ID), [])
  remote.send({ type: 'unknown', id: HASH_REQUEST_ID, payload: new Uint8Array(47) })
  assert.deepEqual(remote.closed, { graceful: false })
})

/** A harness for a v2 magnet: no piece layers, fetched into the store the metainfo shares. */
function magnetHarness() {
  const store = new Map<string, Uint8Array>()
  const metainfo: Metainfo = { ...m, pieceLayers: store }
  const h = new Harness({ metainfo, sha256, pieceLayerStore: store })
  return { h, store }
}

/** An open peer with every piece; its inbox holds what we sent after its have_all. */
function seedPeer(h: Harness, host: string): RemotePeer {
  const remote = h.open({ host })
  remote.inbox.length = 0
  remote.send({ type: 'have_all' })
  return remote
}

const requestsTo = (remote: RemotePeer) =>
  hashMessages(remote, HASH_REQUEST_ID).map((payload) => {
    const decoded = decodeHashRequest(payload)
    assert.ok(decoded.ok)
    return decoded.value
  })

test('a v2 magnet asks for each missing layer as libtorrent does, and waits for it', () => {
  const { h, store } = magnetHarness()
  const remote = seedPeer(h, '10.0.9.1')
  const asked = requestsTo(remote)
  assert.deepEqual(
    asked.map((r) => [toHex(r.piecesRoot), r.baseLayer, r.index, r.length, r.proofLayers]),
    [
      [toHex(A), 1, 0, 4, 1],
      [toHex(C), 1, 0, 64, 5],
    ],
  )
  assert.equal(remote.take('interested').length, 0, 'no interest before the layers')
  for (const [index, request] of asked.entries()) {
    const hashes = layerWithPads(request)
    remote.send({ type: 'unknown', id: HASHES_ID, payload: encodeHashes({ ...request, hashes }) })
    // The driver is told once, when the last layer is in (it stores them: session.ts).
    const told = h.take('piece_layers_fetched')
    assert.deepEqual(
      told,
      index === asked.length - 1 ? [{ type: 'piece_layers_fetched', files: 2 }] : [],
    )
  }
  assert.deepEqual(store.get(toHex(A)), layerOf(A))
  assert.deepEqual(store.get(toHex(C)), layerOf(C))
  assert.equal(remote.take('interested').length, 1, 'interested once every layer is in')
  remote.send({ type: 'unchoke' })
  assert.ok(remote.take('request').length > 0, 'and requests blocks when unchoked')
})

/** The honest answer to a whole-layer request: the layer, then pad hashes up to `length`. */
function layerWithPads(request: HashRequest): Uint8Array {
  const layer = layerOf(request.piecesRoot)
  const out = new Uint8Array(request.length * 32)
  out.set(layer)
  // The pad hash of a piece of two blocks: SHA-256 of two zero leaves.
  const pad = hashing.sha256([new Uint8Array(32), new Uint8Array(32)])
  for (let at = layer.length; at < out.length; at += 32) out.set(pad, at)
  return out
}

test('lying hashes cut the peer off and are not used; a reject sends the range elsewhere', () => {
  const { h, store } = magnetHarness()
  const liar = seedPeer(h, '10.0.9.2')
  const [first] = requestsTo(liar)
  assert.ok(first !== undefined)
  const lie = layerWithPads(first)
  lie[5] = (lie[5] as number) ^ 1
  liar.send({ type: 'unknown', id: HASHES_ID, payload: encodeHashes({ ...first, hashes: lie }) })
  assert.deepEqual(liar.closed, { graceful: false })
  assert.equal(store.size, 0)
  const faults = h.take('remote_fault')
  assert.equal(faults.length, 1)
  assert.match(faults[0]?.detail ?? '', /do not prove/)

  // The next peer is asked everything again; it rejects c.bin's, a third peer gets it.
  const refuser = seedPeer(h, '10.0.9.3')
  const asked = requestsTo(refuser)
  assert.equal(asked.length, 2)
  const [forA, forC] = asked as [HashRequest, HashRequest]
  refuser.send({
    type: 'unknown',
    id: HASHES_ID,
    payload: encodeHashes({ ...forA, hashes: layerWithPads(forA) }),
  })
  refuser.send({ type: 'unknown', id: HASH_REJECT_ID, payload: encodeHashRequest(forC) })
  assert.equal(refuser.closed, undefined)
  assert.deepEqual([...store.keys()], [toHex(A)])
  const third = seedPeer(h, '10.0.9.4')
  assert.deepEqual(requestsTo(third), [forC])
  // An answer nobody asked for (the refuser, again) is ignored, not trusted.
  refuser.send({
    type: 'unknown',
    id: HASHES_ID,
    payload: encodeHashes({ ...forC, hashes: layerWithPads(forC) }),
  })
  assert.equal(store.size, 1)
  third.send({
    type: 'unknown',
    id: HASHES_ID,
    payload: encodeHashes({ ...forC, hashes: layerWithPads(forC) }),
  })
  assert.deepEqual(store.get(toHex(C)), layerOf(C))
})

test('any hash request gets hashes that prove the root, or a reject; garbage never throws', () => {
  const roots = [A, B, C, new Uint8Array(32).fill(3)]
  const request = fc.record({
    root: fc.nat(roots.length - 1),
    baseLayer: fc.nat(8),
    lengthLog: fc.nat(8),
    slot: fc.nat(70),
    proofLayers: fc.nat(8),
  })
  fc.assert(
    fc.property(fc.array(request, { minLength: 1, maxLength: 6 }), (requests) => {
      const h = new Harness({ metainfo: m, have: Bitfield.full(m.pieceCount), sha256 })
      const remote = h.open()
      remote.inbox.length = 0
      for (const r of requests) {
        const length = 2 ** r.lengthLog
        const asked: HashRequest = {
          piecesRoot: roots[r.root] as Uint8Array,
          baseLayer: r.baseLayer,
          index: r.slot * length,
          length,
          proofLayers: r.proofLayers,
        }
        ask(remote, asked)
        // A request below the piece layer is answered from the blocks read back from disk
        // (`hash_blocks`, as a driver would): read them from the torrent's content.
        for (const { piece } of h.take('hash_blocks')) {
          h.core.pieceBlockHashes(h.now, piece, blockHashes(pieceBytes(piece), hashing))
          h.flush()
        }
        const [answer] = hashMessages(remote, HASHES_ID)
        const [reject] = hashMessages(remote, HASH_REJECT_ID)
        assert.ok((answer === undefined) !== (reject === undefined), 'exactly one reply')
        if (reject !== undefined) {
          assert.deepEqual(decodeHashRequest(reject), { ok: true, value: asked })
          continue
        }
        const decoded = decodeHashes(answer as Uint8Array)
        assert.ok(decoded.ok)
        const file = [fileNamed('a.bin'), fileNamed('c.bin')].find(
          (f) => f.root === asked.piecesRoot,
        )
        assert.ok(file !== undefined, 'only files with a layer are answered')
        const shape = treeShape(file.file.length, V2_PIECE_LENGTH)
        // An answer whose proof reaches the root must give the pieces root.
        if (asked.baseLayer + asked.proofLayers + 1 === shape.height) {
          assert.ok(provesRoot(shape, file.root, asked, decoded.value.hashes, hashing))
        }
      }
      assert.equal(remote.closed, undefined)
    }),
    { numRuns: 40 },
  )
  fc.assert(
    fc.property(
      fc.constantFrom(HASH_REQUEST_ID, HASHES_ID, HASH_REJECT_ID),
      fc.uint8Array({ maxLength: 200 }),
      (id, payload) => {
        const { h, store } = magnetHarness()
        const remote = seedPeer(h, '10.0.9.9')
        remote.inbox.length = 0
        remote.send({ type: 'unknown', id, payload })
        assert.equal(store.size, 0, 'nothing unasked or unproven is stored')
        if (remote.closed !== undefined) {
          assert.deepEqual(
            h.take('remote_fault').map((fault) => fault.code),
            ['malformed'],
          )
        }
      },
    ),
    { numRuns: 200 },
  )
})

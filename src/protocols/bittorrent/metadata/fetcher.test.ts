import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Address } from '../../../core/address.js'
import { seconds } from '../../../core/time.js'
import { nodeHashing } from '../metainfo/fixtures.test.js'
import { METADATA_BYTES_MAX, UT_METADATA, metadataPieceCount } from '../wire/index.js'
import {
  EXTENSION_ONLY_RESERVED,
  fixtureInfo,
  Harness,
  pieceOf,
  type RemotePeer,
} from './fixture.js'
import { LOCAL_UT_METADATA_ID } from './greeting.js'

const { info, infoHash } = fixtureInfo(nodeHashing)
const PIECES = metadataPieceCount(info.length)
const peer = (n: number): Address => ({ host: `10.0.1.${n}`, port: 6881 })

/** A dialled peer that passed both handshakes and offered the fixture's metadata. */
function readyPeer(h: Harness, n: number, size = info.length): RemotePeer {
  const remote = h.dial(peer(n))
  remote.handshake()
  remote.extendedHandshake({ metadataSize: size })
  return remote
}

/** Serves every remote's requests until nothing more is asked. */
function serveAll(remotes: RemotePeer[]): void {
  for (let round = 0; round < 10; round++) {
    let served = 0
    for (const remote of remotes) served += remote.serve(info).length
    if (served === 0) return
  }
}

function assertSucceeded(h: Harness): void {
  const received = h.eventsOf('metadata_received')
  assert.equal(received.length, 1)
  assert.deepEqual(received[0]?.infoBytes, info)
  assert.equal(h.core.inspect().done, true)
  assert.equal(h.core.inspect().connections, 0)
  assert.equal(h.core.nextTimeout(), undefined)
}

test('the fixture spans several metadata pieces', () => {
  assert.ok(info.length > 32 * 1024)
  assert.equal(PIECES, 3)
})

test('fetches every piece from one peer, verifies, reports peers and closes gracefully', () => {
  const h = new Harness(infoHash, nodeHashing)
  const remote = h.dial(peer(1))
  assert.deepEqual(remote.types(), ['handshake'])
  remote.take('handshake')
  remote.handshake()
  // BEP 6 on both sides: have_none, never an empty bitfield; then our BEP 10 handshake.
  assert.deepEqual(remote.types(), ['have_none', 'extended'])
  remote.take('have_none')
  const [greeting] = remote.takeExtensions()
  assert.equal(greeting?.type, 'extended_handshake')
  if (greeting?.type === 'extended_handshake') {
    assert.equal(greeting.handshake.extensions.get(UT_METADATA), LOCAL_UT_METADATA_ID)
  }
  remote.extendedHandshake({ metadataSize: info.length })
  assert.deepEqual(remote.serve(info), [0, 1])
  assert.deepEqual(remote.serve(info), [2])
  assertSucceeded(h)
  assert.deepEqual(h.eventsOf('peers_known')[0]?.addresses, [peer(1)])
  assert.deepEqual(remote.closed, { graceful: true })
})

test('a peer without BEP 6 gets no availability message at all', () => {
  const h = new Harness(infoHash, nodeHashing)
  const remote = h.dial(peer(1))
  remote.take('handshake')
  remote.handshake({ reserved: EXTENSION_ONLY_RESERVED })
  assert.deepEqual(remote.types(), ['extended'])
})

test('spreads the requests over two peers', () => {
  const h = new Harness(infoHash, nodeHashing)
  const a = readyPeer(h, 1)
  const b = readyPeer(h, 2)
  assert.deepEqual(a.serve(info), [0, 1])
  // a fills its two slots first; b, ready next, takes the last piece.
  assert.deepEqual(b.serve(info), [2])
  serveAll([a, b])
  assertSucceeded(h)
  const known = h.eventsOf('peers_known')[0]?.addresses ?? []
  assert.deepEqual(
    [...known].sort((x, y) => x.host.localeCompare(y.host)),
    [peer(1), peer(2)],
  )
})

test('a rejected piece is asked of another peer, never again of the one that refused', () => {
  const h = new Harness(infoHash, nodeHashing)
  const a = readyPeer(h, 1)
  const b = readyPeer(h, 2)
  assert.deepEqual(a.takeRequests(), [0, 1])
  assert.deepEqual(b.takeRequests(), [2])
  a.metadata({ msgType: 'reject', piece: 0 })
  assert.deepEqual(b.takeRequests(), [0])
  assert.deepEqual(a.takeRequests(), [])
  for (const piece of [0, 2]) {
    b.metadata({
      msgType: 'data',
      piece,
      totalSize: info.length,
      data: pieceOf(info, piece),
    })
  }
  a.metadata({
    msgType: 'data',
    piece: 1,
    totalSize: info.length,
    data: pieceOf(info, 1),
  })
  assertSucceeded(h)
})

test('corrupt data fails the hash: contributors are banned, an honest peer refetches', () => {
  const h = new Harness(infoHash, nodeHashing)
  const evil = readyPeer(h, 1)
  const flip = (piece: number, data: Uint8Array): Uint8Array => {
    if (piece === 1) data[100] = (data[100] as number) ^ 0xff
    return data
  }
  evil.serve(info, flip)
  evil.serve(info, flip)
  assert.deepEqual(h.eventsOf('metadata_hash_failed'), [
    { type: 'metadata_hash_failed', blamed: [peer(1)] },
  ])
  assert.deepEqual(evil.closed, { graceful: false })
  assert.equal(h.eventsOf('metadata_received').length, 0)
  assert.equal(h.addPeers(peer(1)), 0, 'a blamed host is not dialled again')
  const honest = readyPeer(h, 2)
  serveAll([honest])
  assertSucceeded(h)
  assert.deepEqual(h.eventsOf('peers_known')[0]?.addresses, [peer(2)])
})

test('a peer without ut_metadata is dropped, and running dry is reported once', () => {
  const h = new Harness(infoHash, nodeHashing)
  const remote = h.dial(peer(1))
  remote.handshake()
  remote.extendedHandshake({ utMetadata: 0, metadataSize: info.length })
  assert.deepEqual(remote.closed, { graceful: true })
  assert.deepEqual(h.eventsOf('metadata_failed'), [
    { type: 'metadata_failed', reason: 'peers_exhausted' },
  ])
  h.advance(60_000)
  assert.equal(h.eventsOf('metadata_failed').length, 1)
})

test('a peer with ut_metadata but no or an oversized metadata_size is dropped', () => {
  const h = new Harness(infoHash, nodeHashing)
  const none = h.dial(peer(1))
  none.handshake()
  none.extendedHandshake({})
  const huge = h.dial(peer(2))
  huge.handshake()
  huge.extendedHandshake({ metadataSize: METADATA_BYTES_MAX + 1 })
  assert.deepEqual(none.closed, { graceful: true })
  assert.deepEqual(huge.closed, { graceful: true })
  assert.equal(h.core.inspect().metadataSize, undefined)
})

test('a peer that disagrees on metadata_size is dropped', () => {
  const h = new Harness(infoHash, nodeHashing)
  const a = readyPeer(h, 1)
  const b = readyPeer(h, 2, info.length + 1)
  assert.equal(a.closed, undefined)
  assert.deepEqual(b.closed, { graceful: true })
  assert.equal(h.core.inspect().metadataSize, info.length)
})

test('a handshake for another info-hash closes the connection', () => {
  const h = new Harness(infoHash, nodeHashing)
  const remote = h.dial(peer(1))
  remote.take('handshake')
  const other = fixtureInfo(nodeHashing, 10, 1).infoHash
  remote.handshake({ infoHash: other })
  assert.deepEqual(remote.closed, { graceful: false })
  assert.deepEqual(remote.types(), [], 'no greeting for a stranger')
})

test('an unanswered request times out and goes to another peer', () => {
  const h = new Harness(infoHash, nodeHashing)
  const slow = readyPeer(h, 1)
  const b = readyPeer(h, 2)
  assert.deepEqual(slow.takeRequests(), [0, 1])
  assert.deepEqual(b.serve(info), [2])
  h.advance(seconds(10) - 1)
  assert.deepEqual(b.takeRequests(), [])
  h.advance(1)
  assert.deepEqual(b.serve(info), [0, 1])
  assert.deepEqual(slow.closed, { graceful: false }, 'it refused all that is missing')
  assertSucceeded(h)
})

test('handshake and connect timeouts close the connection', () => {
  const h = new Harness(infoHash, nodeHashing, { connectionsMax: 2 })
  h.addPeers(peer(1), peer(2))
  const silent = h.completeDial(peer(1))
  h.advance(seconds(10))
  assert.deepEqual(silent.closed, { graceful: false })
  h.advance(seconds(5))
  assert.equal(h.otherCloses.length, 1, 'the dial that never completed is abandoned')
  assert.equal(h.eventsOf('metadata_failed').length, 1)
})

test('a handshaken peer that never sends its extended handshake is closed', () => {
  const h = new Harness(infoHash, nodeHashing)
  const remote = h.dial(peer(1))
  remote.handshake()
  h.advance(seconds(10))
  assert.deepEqual(remote.closed, { graceful: false })
})

test('keep-alives go out on idle ready connections; a silent peer is dropped', () => {
  const h = new Harness(infoHash, nodeHashing, { requestTimeout: seconds(600) })
  const remote = readyPeer(h, 1)
  remote.takeRequests()
  h.advance(seconds(60))
  assert.equal(remote.take('keep_alive').length, 1)
  h.advance(seconds(60))
  assert.deepEqual(remote.closed, { graceful: false })
})

test('answers ut_metadata requests with reject and ignores other wire messages', () => {
  const h = new Harness(infoHash, nodeHashing)
  const remote = readyPeer(h, 1)
  remote.takeRequests()
  remote.send({ type: 'bitfield', bytes: new Uint8Array(10) })
  remote.send({ type: 'have', index: 3 })
  remote.send({ type: 'unchoke' })
  remote.metadata({ msgType: 'request', piece: 0 })
  const [reply] = remote.takeExtensions()
  assert.deepEqual(reply, { type: 'ut_metadata', message: { msgType: 'reject', piece: 0 } })
  assert.equal(remote.closed, undefined)
})

test('an inbound peer is greeted, and is reported under its listen port', () => {
  const h = new Harness(infoHash, nodeHashing)
  const remote = h.accept('10.0.9.9')
  assert.deepEqual(remote.types(), ['handshake'])
  remote.handshake()
  remote.extendedHandshake({ metadataSize: info.length, port: 7000 })
  serveAll([remote])
  assertSucceeded(h)
  assert.deepEqual(h.eventsOf('peers_known')[0]?.addresses, [{ host: '10.0.9.9', port: 7000 }])
})

test('candidates are validated, deduplicated and bounded; dials respect connectionsMax', () => {
  const h = new Harness(infoHash, nodeHashing, { connectionsMax: 2, candidatesMax: 3 })
  assert.equal(h.addPeers({ host: 'example.com', port: 1 }, { host: '10.0.0.5', port: 0 }), 0)
  const many = Array.from({ length: 10 }, (_, i) => peer(i + 1))
  assert.equal(h.addPeers(...many, peer(1)), 3)
  assert.equal(h.dials.length, 2)
  assert.equal(h.core.inspect().candidates, 1)
  assert.equal(h.addPeers(h.dials[0]?.to ?? peer(1)), 0, 'already connected')
})

test('unrequested data is ignored; bad ut_metadata bytes ban the peer', () => {
  const h = new Harness(infoHash, nodeHashing)
  const remote = readyPeer(h, 1)
  remote.takeRequests()
  remote.metadata({ msgType: 'data', piece: 2, totalSize: info.length, data: pieceOf(info, 2) })
  assert.equal(h.core.inspect().piecesReceived, 0)
  remote.send({ type: 'extended', extendedId: LOCAL_UT_METADATA_ID, payload: new Uint8Array([1]) })
  assert.deepEqual(remote.closed, { graceful: false })
  assert.equal(h.addPeers(peer(1)), 0)
})

test('a peer dropped for disagreeing with a lying size is dialled again once the lie fails', () => {
  const h = new Harness(infoHash, nodeHashing)
  const liar = readyPeer(h, 1, info.length + 16384)
  const honest = readyPeer(h, 2)
  assert.deepEqual(honest.closed, { graceful: true })
  const junk = (size: number, piece: number): Uint8Array =>
    new Uint8Array(Math.min(16384, size - piece * 16384)).fill(7)
  for (let round = 0; round < 3; round++) {
    for (const piece of liar.takeRequests()) {
      const totalSize = info.length + 16384
      liar.metadata({ msgType: 'data', piece, totalSize, data: junk(totalSize, piece) })
    }
  }
  assert.equal(h.eventsOf('metadata_hash_failed').length, 1)
  assert.deepEqual(liar.closed, { graceful: false })
  const again = h.completeDial(peer(2))
  again.handshake()
  again.extendedHandshake({ metadataSize: info.length })
  serveAll([again])
  assertSucceeded(h)
})

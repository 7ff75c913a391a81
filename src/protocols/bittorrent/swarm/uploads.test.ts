import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import { Bitfield } from '../picker/index.js'
import { allowedFastSet } from './allowed-fast.js'
import { fixtureTorrent, Harness, PLAIN_RESERVED, type RemotePeer } from './fixture.js'
import { checkSwarm } from './invariants.js'

const hashing = new NodeHashing()
const sha1 = (parts: readonly Uint8Array[]): Uint8Array => hashing.sha1(parts)
const torrent = fixtureTorrent(hashing, { totalLength: 24 * 32_768 - 1000, pieceLength: 32_768 })
const { metainfo, content } = torrent
const n = metainfo.pieceCount

function seed(config = {}): Harness {
  return new Harness({ metainfo, have: Bitfield.full(n), sha1, config })
}

/** A leecher that says have_none (or nothing, without BEP 6) and interested. */
function leecher(h: Harness, host = '10.0.1.1', reserved?: Uint8Array): RemotePeer {
  const remote = h.open({ host, ...(reserved !== undefined ? { reserved } : {}) })
  if (reserved !== PLAIN_RESERVED) remote.send({ type: 'have_none' })
  remote.send({ type: 'interested' })
  return remote
}

/** Answers every read_block with the torrent's bytes. */
function answerReads(h: Harness): number {
  const reads = h.take('read_block')
  for (const r of reads) {
    const at = r.piece * metainfo.pieceLength + r.begin
    h.core.blockRead(h.now, r.requestKey, content.subarray(at, at + r.length))
  }
  h.flush()
  return reads.length
}

test('serving: an interested peer is unchoked at once and gets its blocks', () => {
  const h = seed()
  const remote = leecher(h)
  assert.equal(remote.take('unchoke').length, 1, 'a free slot: unchoked without waiting')
  remote.send({ type: 'request', index: 2, begin: 16_384, length: 16_384 })
  assert.equal(answerReads(h), 1)
  const pieces = remote.take('piece')
  assert.equal(pieces.length, 1)
  const at = 2 * metainfo.pieceLength + 16_384
  assert.deepEqual(pieces[0]!.block, content.subarray(at, at + 16_384))
  assert.equal(h.core.inspect().stats.uploadedBytes, 16_384)
})

test('a request outside the torrent closes the connection', () => {
  const h = seed()
  const remote = leecher(h)
  remote.send({ type: 'request', index: n - 1, begin: 16_384, length: 16_384 })
  assert.deepEqual(remote.closed, { graceful: false })
  assert.equal(h.take('remote_fault')[0]?.code, 'out_of_range')
  const big = leecher(h, '10.0.1.2')
  big.send({ type: 'request', index: 0, begin: 0, length: 32_768 })
  assert.deepEqual(big.closed, { graceful: false }, 'over 16 KiB')
})

test('requests while choked: rejected with BEP 6 unless allowed-fast, ignored without', () => {
  const h = seed({ choke: { ...seed().core.inspect().config.choke, slots: 1 } })
  leecher(h, '10.0.1.1')
  const fast = leecher(h, '10.2.3.4')
  assert.equal(fast.take('unchoke').length, 0, 'the only slot is taken')
  const allowed = allowedFastSet(sha1, '10.2.3.4', metainfo.infoHash, n, 10)
  assert.deepEqual(
    fast.take('allowed_fast').map((m) => m.index),
    allowed,
  )
  const outside = [...Array(n).keys()].find((i) => !allowed.includes(i))!
  fast.send({ type: 'request', index: outside, begin: 0, length: 16_384 })
  assert.equal(fast.take('reject_request').length, 1)
  fast.send({ type: 'request', index: allowed[0]!, begin: 0, length: 16_384 })
  assert.equal(answerReads(h), 1)
  assert.equal(fast.take('piece').length, 1, 'allowed-fast pieces are served while choked')
  const plain = leecher(h, '10.0.1.3', PLAIN_RESERVED)
  plain.send({ type: 'request', index: 0, begin: 0, length: 16_384 })
  assert.equal(h.take('read_block').length, 0)
  assert.equal(plain.closed, undefined, 'one ignored request is a race, not a fault')
})

test('a request flood closes a peer without BEP 6', () => {
  // A small reqq so the flood fits in one piece of the fixture.
  const h = seed({ peerRequestsMax: 250 })
  const remote = leecher(h, '10.0.1.1', PLAIN_RESERVED)
  assert.equal(remote.take('unchoke').length, 1)
  for (let i = 0; i < 251 && remote.closed === undefined; i++) {
    remote.send({ type: 'request', index: 0, begin: i * 100, length: 100 })
  }
  assert.deepEqual(remote.closed, { graceful: false })
  assert.equal(h.take('read_block').length, 16, 'reads in flight stay bounded')
})

test('cancel drops a queued request and BEP 6 peers get a reject for it', () => {
  const h = seed({ uploadReadsPerPeerMax: 1 })
  const remote = leecher(h)
  remote.send({ type: 'request', index: 0, begin: 0, length: 16_384 })
  remote.send({ type: 'request', index: 1, begin: 0, length: 16_384 })
  remote.send({ type: 'cancel', index: 1, begin: 0, length: 16_384 })
  assert.equal(remote.take('reject_request').length, 1)
  assert.equal(answerReads(h), 1)
  assert.equal(answerReads(h), 0, 'the cancelled request is never read')
  assert.equal(remote.take('piece').length, 1)
})

test('choking a peer discards its queue with rejects; write-blocked peers get no reads', () => {
  const h = seed({ uploadReadsPerPeerMax: 1 })
  const remote = leecher(h)
  const allowed = allowedFastSet(sha1, '10.0.1.1', metainfo.infoHash, n, 10)
  const [p, q] = [...Array(n).keys()].filter((i) => !allowed.includes(i))
  h.core.writeBlocked(h.now, remote.connection)
  remote.send({ type: 'request', index: p!, begin: 0, length: 16_384 })
  assert.equal(h.take('read_block').length, 0, 'blocked: no read starts')
  h.core.writable(h.now, remote.connection)
  h.flush()
  const reads = h.take('read_block')
  assert.equal(reads.length, 1)
  remote.send({ type: 'request', index: q!, begin: 0, length: 16_384 })
  remote.send({ type: 'not_interested' })
  h.advance(10_000)
  assert.equal(remote.take('choke').length, 1, 'the rechoke takes the slot back')
  assert.equal(remote.take('reject_request').length, 2, 'queued and reading requests rejected')
  const at = p! * metainfo.pieceLength
  h.core.blockRead(h.now, reads[0]!.requestKey, content.subarray(at, at + 16_384))
  h.flush()
  assert.equal(remote.take('piece').length, 0, 'a read for a discarded request is dropped')
  assert.deepEqual(checkSwarm(h.core.inspect()), [])
})

test('blockBytes 32 KiB: a whole-piece request is served; over it closes; bad sizes refused', () => {
  const h = seed({ blockBytes: 32_768 })
  const remote = leecher(h)
  remote.send({ type: 'request', index: 1, begin: 0, length: 32_768 })
  assert.equal(answerReads(h), 1)
  const pieces = remote.take('piece')
  assert.equal(pieces[0]?.block.length, 32_768)
  assert.deepEqual(pieces[0]!.block, content.subarray(metainfo.pieceLength, 2 * 32_768))
  const big = leecher(h, '10.0.1.2')
  big.send({ type: 'request', index: 0, begin: 0, length: 65_536 })
  assert.deepEqual(big.closed, { graceful: false }, 'over blockBytes')
  assert.throws(() => seed({ blockBytes: 20_000 }), /blockBytes must be a power of two/)
  assert.throws(() => seed({ blockBytes: 512 }), /blockBytes/)
  assert.throws(() => seed({ blockBytes: 2 * 1024 * 1024 }), /blockBytes/)
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { equalBytes } from '../../../core/bytes.js'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import {
  blockHashes,
  merkleRoot,
  pieceHashV2,
  provesRoot,
  treeShape,
  type HashRange,
} from '../merkle/index.js'
import { v2PieceOf } from '../metainfo/index.js'
import { Bitfield } from '../picker/index.js'
import { makeV2Torrent } from '../storage/v2-fixtures.test.js'
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
import { BLOCK_HASH_TIMEOUT } from './block-hashes.js'
import { Harness, type RemotePeer } from './fixture.js'
import { checkSwarm } from './invariants.js'

const hashing = new NodeHashing()
const sha256 = (parts: readonly Uint8Array[]) => hashing.sha256(parts)
const PIECE = 64 * 1024
const BLOCK = 16 * 1024
/** One file of 4 pieces of 4 blocks (the last piece 3 blocks and a bit). */
const torrent = makeV2Torrent([{ path: ['a.bin'], length: 4 * PIECE - 20_000 }], PIECE)
const { m, content } = torrent
const root = m.files.find((file) => file.piecesRoot !== undefined)?.piecesRoot as Uint8Array
const shape = treeShape(m.files[0]?.length ?? 0, PIECE)

/** The file's bytes in `piece` (no padding). */
const fileBytes = (piece: number, data: Uint8Array): Uint8Array => {
  const v2 = v2PieceOf(m, piece)
  assert.ok(v2 !== undefined)
  return data.subarray(piece * PIECE, piece * PIECE + v2.dataLength)
}

/** A scripted disk under the core: stores blocks, verifies by BEP 52, reads block hashes. */
class Disk {
  readonly data = new Uint8Array(content.length)
  verified = 0
  /** Pieces reported failed once whatever their bytes (as a hybrid's SHA-1 mismatch would). */
  readonly failOnce = new Set<number>()

  constructor(private readonly h: Harness) {}

  run(): void {
    for (let round = 0; round < 10; round++) {
      const writes = this.h.take('write_block')
      for (const w of writes) {
        this.data.set(w.bytes, w.piece * PIECE + w.begin)
        this.h.core.blockWritten(this.h.now, w.piece, w.begin, w.bytes.length)
      }
      this.h.flush()
      const checks = this.h.take('verify_piece')
      for (const { piece } of checks) {
        const v2 = v2PieceOf(m, piece)
        assert.ok(v2?.expected !== undefined)
        const hash = pieceHashV2(fileBytes(piece, this.data), PIECE, v2.fileLength, hashing)
        const good = equalBytes(hash, v2.expected) && !this.failOnce.delete(piece)
        if (good) this.verified++
        this.h.core.pieceVerified(this.h.now, piece, good)
      }
      this.h.flush()
      const reads = this.h.take('hash_blocks')
      for (const { piece } of reads) {
        this.h.core.pieceBlockHashes(
          this.h.now,
          piece,
          blockHashes(fileBytes(piece, this.data), hashing),
        )
      }
      this.h.flush()
      if (writes.length + checks.length + reads.length === 0) return
    }
  }
}

/** Serves the requests in the inbox from `content`; blocks of `corrupt` pieces have a flipped byte. */
function serve(remote: RemotePeer, corrupt: ReadonlySet<number> = new Set()): number {
  const requests = remote.take('request')
  for (const r of requests) {
    const at = r.index * PIECE + r.begin
    const block = content.slice(at, at + r.length)
    if (corrupt.has(r.index)) block[7] = (block[7] as number) ^ 0x5a
    remote.send({ type: 'piece', index: r.index, begin: r.begin, block })
  }
  return requests.length
}

/** BEP 52 messages of one id the core sent to `remote`, removed from its inbox. */
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

/** Answers the block-hash requests in the inbox truthfully (or with `lie`). */
function answerBlockRequests(remote: RemotePeer, lie = false): HashRequest[] {
  const requests = hashMessages(remote, HASH_REQUEST_ID).map((payload) => {
    const decoded = decodeHashRequest(payload)
    assert.ok(decoded.ok)
    return decoded.value
  })
  for (const request of requests) {
    const piece = request.index / 4
    const leaves = blockHashes(fileBytes(piece, content), hashing)
    const hashes = new Uint8Array(request.length * 32)
    leaves.forEach((leaf, at) => hashes.set(leaf, at * 32))
    if (lie) hashes[0] = (hashes[0] as number) ^ 1
    remote.send({ type: 'unknown', id: HASHES_ID, payload: encodeHashes({ ...request, hashes }) })
  }
  return requests
}

/** Two v2 peers with every piece, unchoking us: an honest one and a polluter. */
function twoPeers() {
  const h = new Harness({ metainfo: m, sha256, config: { requestsPerPeerMin: 2 } })
  const honest = h.open({ host: '10.0.1.1' })
  const polluter = h.open({ host: '10.0.6.6' })
  for (const remote of [honest, polluter]) {
    remote.send({ type: 'have_all' })
    remote.send({ type: 'unchoke' })
  }
  return { h, honest, polluter, disk: new Disk(h) }
}

test('a corrupt block: only it is downloaded again, and only its sender is blamed', () => {
  const { h, honest, polluter, disk } = twoPeers()
  // Both peers get blocks of one piece (partial pieces are finished first).
  const piecesOf = (remote: RemotePeer) =>
    remote.inbox.flatMap((r) => (r.type === 'request' ? [r.index] : []))
  const piece = piecesOf(polluter).find((index) => piecesOf(honest).includes(index))
  assert.ok(piece !== undefined, 'a shared piece')
  const polluted = polluter.inbox.flatMap((r) =>
    r.type === 'request' && r.index === piece ? [r.begin] : [],
  )
  const fromPolluter = polluted.length
  serve(honest)
  serve(polluter, new Set([piece]))
  disk.run()
  // Piece 0 failed; the core asks one v2 peer for its 4 block hashes, proof-free.
  const asked = [...answerBlockRequests(honest), ...answerBlockRequests(polluter)]
  assert.deepEqual(asked, [
    { piecesRoot: root, baseLayer: 0, index: piece * 4, length: 4, proofLayers: 1 },
  ])
  disk.run()
  const [failure] = h.take('piece_failed')
  assert.deepEqual(
    failure?.blamed.map((a) => a.host),
    ['10.0.6.6'],
  )
  assert.equal(failure?.badBlocks, fromPolluter)
  // Only the polluter's blocks of the piece are requested again.
  const again = new Set<number>()
  for (let i = 0; i < 20; i++) {
    for (const remote of [honest, polluter]) {
      for (const r of remote.inbox)
        if (r.type === 'request' && r.index === piece) again.add(r.begin)
      serve(remote)
    }
    disk.run()
  }
  assert.deepEqual(
    [...again].sort((a, b) => a - b),
    polluted.sort((a, b) => a - b),
  )
  assert.equal(disk.verified, m.pieceCount)
  assert.equal(h.take('download_completed').length, 1)
  assert.equal(h.take('peer_banned').length, 0, 'one bad piece is not a ban yet')
  assert.deepEqual(checkSwarm(h.core.inspect()), [])
})

test('a liar is cut off and the next peer asked; with nobody left, the piece fails whole', () => {
  const { h, honest, polluter, disk } = twoPeers()
  serve(honest)
  serve(polluter, new Set([0, 1, 2, 3]))
  disk.run()
  // Whoever is asked first lies: hashes that do not hash up to the piece hash.
  const first = honest.inbox.some((m) => m.type === 'unknown') ? honest : polluter
  const second = first === honest ? polluter : honest
  assert.equal(answerBlockRequests(first, true).length, 1)
  assert.deepEqual(first.closed, { graceful: false })
  assert.equal(h.take('remote_fault')[0]?.detail, 'block hashes that do not prove their piece')
  // The other is asked and lets the timeout pass: no peer is left, piece 0 fails whole.
  assert.equal(hashMessages(second, HASH_REQUEST_ID).length, 1)
  h.advance(BLOCK_HASH_TIMEOUT + 2_000)
  disk.run()
  const [failure] = h.take('piece_failed')
  assert.ok(failure !== undefined)
  assert.equal(failure.badBlocks, undefined)
  assert.deepEqual(checkSwarm(h.core.inspect()), [])
})

test('a rejecting peer hands the request to the next; all blocks good fails the piece whole', () => {
  const { h, honest, polluter, disk } = twoPeers()
  // Every block is good; one piece is reported failed anyway (a hybrid whose SHA-1 disagrees
  // with its merkle tree): its block hashes all match, so there is nothing to narrow.
  for (let piece = 0; piece < m.pieceCount; piece++) disk.failOnce.add(piece)
  serve(honest)
  serve(polluter)
  disk.run()
  const check = { piece: [...Array(m.pieceCount).keys()].find((p) => !disk.failOnce.has(p)) }
  assert.ok(check.piece !== undefined)
  const first = honest.inbox.some((m) => m.type === 'unknown') ? honest : polluter
  const second = first === honest ? polluter : honest
  const [payload] = hashMessages(first, HASH_REQUEST_ID)
  assert.ok(payload !== undefined)
  first.send({ type: 'unknown', id: HASH_REJECT_ID, payload })
  assert.equal(first.closed, undefined)
  assert.equal(answerBlockRequests(second).length, 1)
  disk.run()
  const [failure] = h.take('piece_failed')
  assert.equal(failure?.piece, check.piece)
  assert.equal(failure?.badBlocks, undefined)
  assert.deepEqual(checkSwarm(h.core.inspect()), [])
})

test('a seed serves block hashes from the disk, with uncles up to the root', () => {
  const h = new Harness({ metainfo: m, have: Bitfield.full(m.pieceCount), sha256 })
  const remote = h.open()
  remote.inbox.length = 0
  const disk = new Disk(h)
  disk.data.set(content)
  // libtorrent's request for piece 1's blocks: proof layers = layers to verify + log2(4).
  const range: HashRange = { baseLayer: 0, index: 4, length: 4, proofLayers: 3 }
  remote.send({
    type: 'unknown',
    id: HASH_REQUEST_ID,
    payload: encodeHashRequest({ piecesRoot: root, ...range }),
  })
  disk.run()
  const [answer] = hashMessages(remote, HASHES_ID)
  assert.ok(answer !== undefined)
  const decoded = decodeHashes(answer)
  assert.ok(decoded.ok)
  assert.ok(provesRoot(shape, root, range, decoded.value.hashes, hashing))
  // Two blocks of the last piece (3 real blocks and a padding leaf), a proof to the root.
  const tail: HashRange = { baseLayer: 0, index: 14, length: 2, proofLayers: 3 }
  remote.send({
    type: 'unknown',
    id: HASH_REQUEST_ID,
    payload: encodeHashRequest({ piecesRoot: root, ...tail }),
  })
  disk.run()
  const second = decodeHashes(hashMessages(remote, HASHES_ID)[0] as Uint8Array)
  assert.ok(second.ok)
  assert.deepEqual(second.value.hashes.subarray(32, 64), new Uint8Array(32), 'a padding leaf')
  assert.ok(provesRoot(shape, root, tail, second.value.hashes, hashing))
  assert.equal(remote.closed, undefined)
})

test('block hashes of a piece we lack, or whose data changed on disk, are refused', () => {
  const have = Bitfield.full(m.pieceCount)
  have.clear(2)
  const h = new Harness({ metainfo: m, have, sha256 })
  const remote = h.open()
  remote.inbox.length = 0
  const disk = new Disk(h)
  disk.data.set(content)
  disk.data[BLOCK + 3] = (disk.data[BLOCK + 3] as number) ^ 1 // piece 0 rotted on disk
  const ask = (index: number): HashRequest => {
    const request = { piecesRoot: root, baseLayer: 0, index, length: 4, proofLayers: 1 }
    remote.send({ type: 'unknown', id: HASH_REQUEST_ID, payload: encodeHashRequest(request) })
    return request
  }
  const lacking = ask(8)
  const rotten = ask(0)
  disk.run()
  const rejects = hashMessages(remote, HASH_REJECT_ID).map(decodeHashRequest)
  assert.deepEqual(rejects, [
    { ok: true, value: lacking },
    { ok: true, value: rotten },
  ])
  assert.deepEqual(hashMessages(remote, HASHES_ID), [])
  // The good pieces' blocks prove their piece hash, as a receiver checks them.
  const leaves = blockHashes(fileBytes(1, content), hashing)
  const v2 = v2PieceOf(m, 1)
  assert.ok(v2?.expected !== undefined)
  assert.ok(equalBytes(merkleRoot(leaves, 4, hashing), v2.expected))
})

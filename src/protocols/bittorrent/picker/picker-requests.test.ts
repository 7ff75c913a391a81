import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom } from '../../../core/random.js'
import { Bitfield } from './bitfield.js'
import { fixture, FIXTURE_BLOCK_LENGTH, type Fixture } from './fixture.js'
import type { Block } from './geometry.js'
import { PiecePicker } from './picker.js'

/**
 * The life of requests and blocks: endgame, hash failures, releases, odd blocks. Fixture
 * strings: one character per piece (see fixture.ts).
 */
const rarest = { randomFirstPieces: 0 }

function consistent(f: Fixture): void {
  assert.deepEqual(f.problems(), [])
}

test('endgame: duplicates only when nothing is missing, capped, cancelled on arrival', () => {
  const f = fixture({ availability: '22', config: rarest })
  assert.equal(f.pick(1, '**', 7).length, 7)
  assert.equal(f.picker.isEndgame(), false)
  const [last] = f.picker.pickBlocks(2, f.field('**'), 1)
  assert.ok(last !== undefined)
  assert.equal(f.picker.isEndgame(), true)
  // Peer 2 now duplicates peer 1's requests, never its own.
  const duplicates = f.picker.pickBlocks(2, f.field('**'), 3)
  assert.equal(duplicates.length, 3)
  assert.ok(duplicates.every((b) => b.piece !== last.piece || b.begin !== last.begin))
  // Peer 3 takes every block still below the cap of two requests: 4 of peer 1's, 1 of 2's.
  assert.equal(f.pick(3, '**', 10).length, 5)
  assert.deepEqual(f.pick(4, '**', 10), [])
  const first = duplicates[0] as Block
  assert.deepEqual(f.picker.blockReceived(2, first), { accepted: true, cancel: [1] })
  assert.deepEqual(f.picker.blockReceived(1, first), { accepted: false, cancel: [] })
  assert.deepEqual(f.picker.blockReceived(1, last), { accepted: true, cancel: [2, 3] })
  consistent(f)
})

test('endgame cap is configurable (libtorrent has none)', () => {
  const f = fixture({ availability: '3', config: { ...rarest, endgameDuplicatesMax: 3 } })
  assert.equal(f.pick(1, '*', 4).length, 4)
  assert.equal(f.pick(2, '*', 4).length, 4)
  assert.equal(f.pick(3, '*', 4).length, 4)
  assert.equal(f.pick(4, '*', 4).length, 0)
  assert.deepEqual(f.picker.blockReceived(3, { piece: 0, begin: 0 }).cancel, [1, 2])
})

test('endgame can be refused per call', () => {
  const f = fixture({ availability: '2', config: rarest })
  f.pick(1, '*', 4)
  assert.deepEqual(f.pick(2, '*', 4, { endgame: false }), [])
})

test('hash failure resets every block and names the contributors', () => {
  const f = fixture({ availability: '1', config: rarest })
  const blocks = f.picker.pickBlocks(5, f.field('*'), 2)
  f.picker.pickBlocks(6, f.field('*'), 2)
  const deliver = (peer: number, begin: number): boolean => {
    assert.equal(f.picker.blockReceived(peer, { piece: 0, begin }).accepted, true)
    return f.picker.blockWritten({ piece: 0, begin })
  }
  assert.equal(blocks.length, 2)
  assert.equal(deliver(5, 0), false)
  assert.equal(deliver(6, 2 * FIXTURE_BLOCK_LENGTH), false)
  assert.equal(deliver(6, 3 * FIXTURE_BLOCK_LENGTH), false)
  assert.equal(deliver(5, FIXTURE_BLOCK_LENGTH), true)
  assert.deepEqual(f.picker.pieceFailed(0), [5, 6])
  assert.equal(f.picker.pieceState(0), 0)
  assert.deepEqual(f.pick(7, '*', 10), [0, 0, 0, 0])
  consistent(f)
})

test('a verified piece is had and never picked again', () => {
  const f = fixture({ availability: '11', config: rarest })
  for (let b = 0; b < 4; b++) {
    const ref = { piece: 0, begin: b * FIXTURE_BLOCK_LENGTH }
    f.picker.blockReceived(1, ref)
    f.picker.blockWritten(ref)
  }
  f.picker.pieceVerified(0)
  assert.ok(f.picker.hasPiece(0))
  assert.deepEqual([...f.picker.haveBitfield().ones()], [0])
  assert.deepEqual(f.pick(1, '**', 10), [1, 1, 1, 1])
  consistent(f)
})

test('peerGone returns its outstanding requests to missing', () => {
  const f = fixture({ availability: '11', config: rarest })
  assert.deepEqual(f.pick(1, '* ', 3), [0, 0, 0])
  assert.equal(f.picker.peerGone(1), 3)
  assert.equal(f.picker.peerGone(1), 0)
  assert.deepEqual(f.pick(2, '**', 4), [0, 0, 0, 0])
  consistent(f)
})

test('cancelled, rejected and timed-out requests free their block', () => {
  const f = fixture({ availability: '1', config: rarest })
  const [a, b, c] = f.picker.pickBlocks(1, f.field('*'), 3)
  assert.ok(a !== undefined && b !== undefined && c !== undefined)
  assert.equal(f.picker.blockRequestCancelled(1, a), true)
  assert.equal(f.picker.blockRequestCancelled(1, a), false)
  assert.equal(f.picker.blockRequestRejected(1, b), true)
  assert.equal(f.picker.blockRequestTimedOut(1, c), true)
  assert.equal(f.picker.blockRequestRejected(2, { piece: 0, begin: 5 }), false)
  assert.equal(f.pick(2, '*', 10).length, 4)
  consistent(f)
})

test('blocks that name nothing are refused, not thrown', () => {
  const f = fixture({ availability: '1' })
  for (const ref of [
    { piece: 0, begin: 1 },
    { piece: 1, begin: 0 },
    { piece: 0, begin: 4 * FIXTURE_BLOCK_LENGTH },
    { piece: -1, begin: 0 },
  ]) {
    assert.deepEqual(f.picker.blockReceived(1, ref), { accepted: false, cancel: [] })
  }
})

test('the last piece and its last block are shorter', () => {
  const picker = new PiecePicker(
    { totalLength: 2 * 65_536 + 20_000, pieceLength: 65_536, randomFirstPieces: 0 },
    new SeededRandom(1),
  )
  assert.equal(picker.pieceCount, 3)
  const has = Bitfield.of(3, [2])
  picker.peerBitfield(1, has)
  const blocks = picker.pickBlocks(1, has, 10)
  assert.deepEqual(blocks, [
    { piece: 2, begin: 0, length: 16_384 },
    { piece: 2, begin: 16_384, length: 20_000 - 16_384 },
  ])
})

test('shareBusy: a peer with no free block shares the tail of a busy piece, not outside it', () => {
  // Two pieces; peer 1 requests all of piece 0, the only piece peer 2 has. Piece 1 stays
  // untouched, so this is not endgame.
  const f = fixture({ availability: '22', config: rarest })
  assert.deepEqual(f.pick(1, '* ', 4), [0, 0, 0, 0])
  assert.equal(f.picker.isEndgame(), false)
  assert.deepEqual(f.pick(2, '* ', 2), [], 'without shareBusy the peer idles')
  const shared = f.picker.pickBlocks(2, f.field('* '), 2, { shareBusy: true })
  assert.deepEqual(
    shared.map((b) => b.begin / FIXTURE_BLOCK_LENGTH),
    [3, 2],
    'last blocks first',
  )
  // Capped at two requesters per block, and never offered while a free block exists.
  assert.deepEqual(f.pick(3, '* ', 4, { shareBusy: true }), [0, 0])
  assert.deepEqual(f.pick(4, '* ', 4, { shareBusy: true }), [])
  assert.deepEqual(f.pick(5, '**', 4, { shareBusy: true }), [1, 1, 1, 1])
  // Whichever copy arrives first cancels the other.
  assert.deepEqual(f.picker.blockReceived(2, shared[0] as Block), { accepted: true, cancel: [1] })
  assert.deepEqual(f.picker.blockReceived(1, shared[0] as Block), {
    accepted: false,
    cancel: [],
  })
  consistent(f)
})

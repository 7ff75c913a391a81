import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { SeededRandom } from '../../../core/random.js'
import { Bitfield } from './bitfield.js'
import { PIECE_HASHING } from './downloads.js'
import { checkAvailability, checkPickerConsistency } from './invariants.js'
import { BLOCK_MISSING, BLOCK_REQUESTED } from './partial-piece.js'
import { PiecePicker } from './picker.js'

/** Six pieces of four 16 KiB blocks, the last one 2.5 blocks long; peers 0..3. */
const PIECE = 65_536
const PIECES = 6
const TOTAL = 5 * PIECE + 40_000
const PEERS = 4

const peer = fc.nat({ max: PEERS - 1 })
const piece = fc.nat({ max: PIECES - 1 })
const weighted = <T>(weight: number, arbitrary: fc.Arbitrary<T>): fc.WeightedArbitrary<T> => ({
  weight,
  arbitrary,
})
// Picks and deliveries dominate so that pieces complete and endgame is reached often.
const operation = fc.oneof(
  weighted(
    2,
    fc.record({
      kind: fc.constant('connect' as const),
      peer,
      all: fc.boolean(),
      bits: fc.array(piece),
    }),
  ),
  weighted(1, fc.record({ kind: fc.constant('have' as const), peer, piece })),
  weighted(1, fc.record({ kind: fc.constant('leave' as const), peer })),
  weighted(
    4,
    fc.record({
      kind: fc.constant('pick' as const),
      peer,
      count: fc.integer({ min: 1, max: 12 }),
      sequential: fc.boolean(),
      only: fc.option(fc.array(piece, { maxLength: 3 }), { nil: undefined, freq: 4 }),
    }),
  ),
  weighted(8, fc.record({ kind: fc.constant('deliver' as const), peer, which: fc.nat() })),
  weighted(
    1,
    fc.record({ kind: fc.constant('stray' as const), peer, piece, block: fc.nat({ max: 4 }) }),
  ),
  weighted(
    1,
    fc.record({ kind: fc.constant('release' as const), peer, which: fc.nat(), how: fc.nat(3) }),
  ),
  weighted(3, fc.record({ kind: fc.constant('hash' as const), which: fc.nat(), ok: fc.boolean() })),
  weighted(
    1,
    fc.record({ kind: fc.constant('priority' as const), piece, priority: fc.nat({ max: 7 }) }),
  ),
)
type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never

interface World {
  readonly picker: PiecePicker
  readonly connected: Map<number, Bitfield>
}

/** Block state and requesters before an operation: `piece/index` -> [state, peers]. */
function snapshot(picker: PiecePicker): Map<string, [number, number[]]> {
  const blocks = new Map<string, [number, number[]]>()
  const { downloads } = picker.inspect()
  for (let p = 0; p < PIECES; p++) {
    const partial = downloads.partial(p)
    for (let i = 0; i < picker.geometry.blocksInPiece(p); i++) {
      const state = partial?.state(i) ?? BLOCK_MISSING
      blocks.set(`${p}/${i}`, [state, partial?.requestersOf(i) ?? []])
    }
  }
  return blocks
}

function outstanding(world: World, who: number): { piece: number; begin: number }[] {
  const { geometry } = world.picker
  return [...world.picker.inspect().downloads.outstandingOf(who)].map((key) => ({
    piece: geometry.pieceOfKey(key),
    begin: geometry.indexOfKey(key) * geometry.blockLength,
  }))
}

function pick(world: World, op: Extract<Operation, { kind: 'pick' }>): void {
  const has = world.connected.get(op.peer)
  if (has === undefined) return
  const before = snapshot(world.picker)
  // Wanted blocks nobody has requested: endgame (duplicates) only once all of them are taken.
  let missing = 0
  for (const [name, [state]] of before) {
    const p = Number(name.split('/')[0])
    const wanted = world.picker.piecePriority(p) > 0 && !world.picker.hasPiece(p)
    if (wanted && state === BLOCK_MISSING) missing++
  }
  let fresh = 0
  const options = { sequential: op.sequential, ...(op.only ? { onlyPieces: op.only } : {}) }
  const blocks = world.picker.pickBlocks(op.peer, has, op.count, options)
  assert.ok(blocks.length <= op.count)
  for (const block of blocks) {
    const name = `${block.piece}/${block.begin / world.picker.geometry.blockLength}`
    const [state, requesters] = before.get(name) ?? [-1, []]
    assert.ok(has.get(block.piece), `picked ${name}, which the peer lacks`)
    assert.ok(world.picker.piecePriority(block.piece) > 0, `picked skipped ${name}`)
    if (op.only !== undefined) assert.ok(op.only.includes(block.piece))
    assert.ok(state === BLOCK_MISSING || state === BLOCK_REQUESTED, `picked ${name} in ${state}`)
    assert.ok(!requesters.includes(op.peer), `picked ${name} twice for one peer`)
    if (state === BLOCK_MISSING) fresh++
    else
      assert.equal(fresh, missing, `duplicate ${name} while ${missing - fresh} blocks are missing`)
  }
}

function apply(world: World, op: Operation): void {
  const { picker, connected } = world
  switch (op.kind) {
    case 'connect': {
      if (connected.has(op.peer)) return
      const has = op.all ? Bitfield.full(PIECES) : Bitfield.of(PIECES, op.bits)
      if (op.all) picker.peerHasAll(op.peer)
      else picker.peerBitfield(op.peer, has)
      connected.set(op.peer, has)
      return
    }
    case 'have': {
      const has = connected.get(op.peer)
      if (has?.set(op.piece) === true) picker.peerHave(op.peer, op.piece)
      return
    }
    case 'leave': {
      const has = connected.get(op.peer)
      if (has === undefined) return
      picker.peerLeft(op.peer, has)
      picker.peerGone(op.peer)
      connected.delete(op.peer)
      return
    }
    case 'pick':
      return pick(world, op)
    case 'deliver': {
      const mine = outstanding(world, op.peer)
      const block = mine[op.which % Math.max(1, mine.length)]
      if (block === undefined) return
      const before = snapshot(picker)
      const name = `${block.piece}/${block.begin / picker.geometry.blockLength}`
      const others = (before.get(name)?.[1] ?? []).filter((p) => p !== op.peer)
      const received = picker.blockReceived(op.peer, block)
      assert.deepEqual(received, { accepted: true, cancel: others })
      picker.blockWritten(block)
      return
    }
    case 'stray': {
      const block = { piece: op.piece, begin: op.block * picker.geometry.blockLength }
      if (picker.blockReceived(op.peer, block).accepted) picker.blockWritten(block)
      return
    }
    case 'release': {
      const mine = outstanding(world, op.peer)
      const block = mine[op.which % Math.max(1, mine.length)]
      if (block === undefined) return
      if (op.how === 0) assert.ok(picker.blockRequestCancelled(op.peer, block))
      if (op.how === 1) assert.ok(picker.blockRequestRejected(op.peer, block))
      if (op.how === 2) assert.ok(picker.blockRequestTimedOut(op.peer, block))
      if (op.how === 3) picker.peerGone(op.peer)
      return
    }
    case 'hash': {
      const hashing = [...Array(PIECES).keys()].filter(
        (p) => picker.pieceState(p) === PIECE_HASHING,
      )
      const target = hashing[op.which % Math.max(1, hashing.length)]
      if (target === undefined) return
      if (op.ok) picker.pieceVerified(target)
      else assert.ok(picker.pieceFailed(target).length > 0)
      return
    }
    case 'priority':
      return picker.setPiecePriority(op.piece, op.priority)
  }
}

test('property: picks respect the peer, the block states and the availability sums', () => {
  fc.assert(
    fc.property(fc.array(operation, { minLength: 60, maxLength: 160 }), fc.nat(), (ops, seed) => {
      const picker = new PiecePicker(
        { totalLength: TOTAL, pieceLength: PIECE, randomFirstPieces: 2 },
        new SeededRandom(seed),
      )
      const world: World = { picker, connected: new Map() }
      for (const op of ops) {
        apply(world, op)
        assert.deepEqual(checkPickerConsistency(picker), [], JSON.stringify(op))
        assert.deepEqual(checkAvailability(picker, world.connected.values()), [])
      }
    }),
    { numRuns: 150 },
  )
})

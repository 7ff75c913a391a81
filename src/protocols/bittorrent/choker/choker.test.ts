import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom } from '../../../core/random.js'
import { instant, seconds, type Instant } from '../../../core/time.js'
import {
  chooseUnchoked,
  DEFAULT_CHOKE_OPTIONS,
  type ChokeCandidate,
  type ChokeState,
} from './choker.js'

/** The seeding quota is 20 pieces of this size. */
const PIECE_BYTES = 262_144

const NOW = instant(600_000)
const options = DEFAULT_CHOKE_OPTIONS
const leeching: ChokeState = { now: NOW, seeding: false, pieceBytes: PIECE_BYTES }

/** An interested, choked, long-connected peer with no traffic, unless overridden. */
function peer(id: number, fields: Partial<ChokeCandidate> = {}): ChokeCandidate {
  return {
    peer: id,
    interested: true,
    amChoking: true,
    downloadRateFromPeer: 0,
    uploadRateToPeer: 0,
    isSeed: false,
    snubbed: false,
    connectedAt: instant(0),
    ...fields,
  }
}

const rates = (values: number[]): ChokeCandidate[] =>
  values.map((rate, i) => peer(i + 1, { downloadRateFromPeer: rate }))

test('the fastest uploaders to us get the regular slots (tit-for-tat)', () => {
  const decision = chooseUnchoked(
    rates([10, 50, 30, 20, 40, 60]),
    leeching,
    options,
    new SeededRandom(1),
  )
  const regular = decision.unchoked.filter((p) => p !== decision.optimistic)
  assert.deepEqual(regular, [2, 3, 5, 6])
  assert.ok(decision.optimistic === 1 || decision.optimistic === 4)
  assert.equal(decision.optimisticAt, NOW)
})

test('ties are broken by unchoked-first, then by peer id', () => {
  const same = [5, 4, 3, 2, 1].map((id) => peer(id, { downloadRateFromPeer: 7 }))
  const byId = chooseUnchoked(
    same,
    { ...leeching, rotateOptimistic: false },
    options,
    new SeededRandom(1),
  )
  assert.deepEqual(byId.unchoked.slice(0, 4), [1, 2, 3, 4])
  const withUnchoked = same.map((c) => (c.peer === 5 ? { ...c, amChoking: false } : c))
  const kept = chooseUnchoked(withUnchoked, leeching, { ...options, slots: 2 }, new SeededRandom(1))
  assert.ok(kept.unchoked.includes(5))
})

test('at equal rates a past contributor outranks a free rider, even one already unchoked', () => {
  // Peers 1-3 never sent us a byte and hold slots; 4-6 uploaded earlier but are idle now
  // (rate 0, like the free riders). Tit-for-tat gives the regular slots to the contributors.
  const candidates = [
    ...[1, 2, 3].map((id) => peer(id, { amChoking: false })),
    ...[4, 5, 6].map((id) => peer(id, { downloadedFromPeerBytes: 16_384 })),
  ]
  const decision = chooseUnchoked(
    candidates,
    { ...leeching, rotateOptimistic: false },
    { ...options, slots: 4 },
    new SeededRandom(1),
  )
  const regular = decision.unchoked.filter((p) => p !== decision.optimistic)
  assert.deepEqual(regular, [4, 5, 6])
})

test('a snubbed peer gets no regular slot, only the optimistic one', () => {
  const candidates = [
    peer(1, { downloadRateFromPeer: 1000, snubbed: true }),
    ...rates([0, 10, 20, 30, 40]).map((c) => ({ ...c, peer: c.peer + 1, amChoking: false })),
  ]
  const decision = chooseUnchoked(candidates, leeching, options, new SeededRandom(3))
  assert.deepEqual(decision.unchoked, [1, 3, 4, 5, 6])
  assert.equal(decision.optimistic, 1)
})

test('uninterested peers and seeds are never unchoked, and are choked if unchoked', () => {
  const candidates = [
    peer(1, { interested: false, downloadRateFromPeer: 999, amChoking: false }),
    peer(2, { isSeed: true, interested: true, downloadRateFromPeer: 999 }),
    peer(3, { downloadRateFromPeer: 1 }),
  ]
  const decision = chooseUnchoked(candidates, leeching, options, new SeededRandom(1))
  assert.deepEqual(decision.unchoked, [3])
  assert.deepEqual(decision.toChoke, [1])
  assert.deepEqual(decision.toUnchoke, [3])
})

test('the optimistic peer is kept between rotations and replaced on rotation', () => {
  const candidates = rates([50, 40, 30, 20, 0, 0, 0]).map((c) =>
    c.peer === 6 ? { ...c, amChoking: false } : c,
  )
  const recent: ChokeState = { ...leeching, optimistic: 6, lastOptimisticAt: instant(590_000) }
  const kept = chooseUnchoked(candidates, recent, options, new SeededRandom(1))
  assert.equal(kept.optimistic, 6)
  assert.equal(kept.optimisticAt, instant(590_000))
  const forced = chooseUnchoked(
    candidates,
    { ...recent, rotateOptimistic: true },
    options,
    new SeededRandom(1),
  )
  assert.ok(forced.optimistic === 5 || forced.optimistic === 7)
  assert.deepEqual(forced.toChoke, [6])
  const due = { ...recent, lastOptimisticAt: instant(570_000) }
  assert.notEqual(chooseUnchoked(candidates, due, options, new SeededRandom(1)).optimistic, 6)
  const held = { ...due, rotateOptimistic: false }
  assert.equal(chooseUnchoked(candidates, held, options, new SeededRandom(1)).optimistic, 6)
})

test('an optimistic peer that lost interest is replaced at once', () => {
  const candidates = rates([50, 40, 30, 20, 0, 0]).map((c) =>
    c.peer === 6 ? { ...c, amChoking: false, interested: false } : c,
  )
  const state = { ...leeching, optimistic: 6, lastOptimisticAt: instant(595_000) }
  const decision = chooseUnchoked(candidates, state, options, new SeededRandom(1))
  assert.equal(decision.optimistic, 5)
  assert.equal(decision.optimisticAt, NOW)
})

test('new peers are three times as likely to be the optimistic unchoke', () => {
  const random = new SeededRandom(7)
  const fresh = (id: number): ChokeCandidate => peer(id, { connectedAt: instant(NOW - 10_000) })
  const candidates = [fresh(1), peer(2), fresh(3), peer(4)]
  const wins = new Map<number, number>()
  const draws = 4000
  for (let i = 0; i < draws; i++) {
    const state = { ...leeching, rotateOptimistic: true }
    const { optimistic } = chooseUnchoked(candidates, state, { ...options, slots: 1 }, random)
    wins.set(optimistic as number, (wins.get(optimistic as number) ?? 0) + 1)
  }
  const newWins = (wins.get(1) ?? 0) + (wins.get(3) ?? 0)
  const ratio = newWins / (draws - newWins)
  assert.ok(ratio > 2.6 && ratio < 3.4, `new:old = ${ratio}`)
})

test('the same inputs and the same seed give the same decision', () => {
  const candidates = rates([3, 1, 4, 1, 5, 9, 2, 6])
  const a = chooseUnchoked(candidates, leeching, options, new SeededRandom(42))
  const b = chooseUnchoked([...candidates].reverse(), leeching, options, new SeededRandom(42))
  assert.deepEqual(a, b)
})

/** One seeding peer's counters, as the caller would keep them. */
interface Served {
  amChoking: boolean
  lastUnchokedAt?: Instant
  uploadedSinceUnchokeBytes: number
}

test('seeding: round robin serves every interested peer over successive rechokes', () => {
  const count = 12
  const served = new Map<number, Served>()
  for (let id = 1; id <= count; id++)
    served.set(id, { amChoking: true, uploadedSinceUnchokeBytes: 0 })
  const everUnchoked = new Set<number>()
  const regularSlots = new Set<number>()
  let optimistic: number | undefined
  let lastOptimisticAt: Instant | undefined
  const random = new SeededRandom(5)
  for (let round = 0; round < 60; round++) {
    const now = instant(round * 10_000)
    const candidates = [...served].map(([id, s]) =>
      peer(id, {
        ...s,
        // Every unchoked peer downloads at 100 KB/s; peer id varies it a little.
        uploadRateToPeer: s.amChoking ? 0 : 100_000 + id,
        connectedAt: instant(-120_000),
      }),
    )
    const state = {
      now,
      seeding: true,
      pieceBytes: PIECE_BYTES,
      ...(optimistic === undefined ? {} : { optimistic, lastOptimisticAt }),
    }
    const decision = chooseUnchoked(candidates, state as ChokeState, options, random)
    assert.ok(decision.unchoked.length <= options.slots)
    optimistic = decision.optimistic
    lastOptimisticAt = decision.optimisticAt
    for (const [id, s] of served) {
      const unchoked = decision.unchoked.includes(id)
      if (unchoked && s.amChoking)
        Object.assign(s, { lastUnchokedAt: now, uploadedSinceUnchokeBytes: 0 })
      s.amChoking = !unchoked
      if (unchoked && id !== decision.optimistic) regularSlots.add(id)
      if (unchoked) {
        everUnchoked.add(id)
        s.uploadedSinceUnchokeBytes += 100_000 * 10
      }
    }
  }
  assert.equal(everUnchoked.size, count)
  // Not just by luck of the optimistic draw: every peer held a regular slot at some point.
  assert.equal(regularSlots.size, count)
})

test('seeding: peers short of their quota keep their slot, by upload rate', () => {
  const now = NOW
  const candidates = [1, 2, 3, 4, 5, 6].map((id) =>
    peer(id, {
      amChoking: id > 4,
      uploadRateToPeer: id > 4 ? 0 : id * 1000,
      lastUnchokedAt: instant(now - 30_000),
      uploadedSinceUnchokeBytes: 1000,
      snubbed: true,
    }),
  )
  const decision = chooseUnchoked(
    candidates,
    { now, seeding: true, pieceBytes: PIECE_BYTES, rotateOptimistic: false },
    options,
    new SeededRandom(1),
  )
  assert.deepEqual(
    decision.unchoked.filter((p) => p !== decision.optimistic),
    [1, 2, 3, 4],
  )
  // Once served (quota sent, a minute passed), they yield to those waiting.
  const done = candidates.map((c) =>
    c.peer === 4 ? { ...c, lastUnchokedAt: instant(0), uploadedSinceUnchokeBytes: 1e9 } : c,
  )
  const next = chooseUnchoked(
    done,
    { now, seeding: true, pieceBytes: PIECE_BYTES },
    options,
    new SeededRandom(1),
  )
  assert.ok(!next.unchoked.filter((p) => p !== next.optimistic).includes(4))
  assert.ok(next.unchoked.includes(5) && next.unchoked.includes(6))
})

test('rechoke interval arithmetic: rotation is due after 30 s', () => {
  assert.equal(seconds(30), options.optimisticInterval)
})

test("seeding: the quota is 20 of the torrent's pieces, whatever their size", () => {
  // Peer 1 holds a slot for 2 minutes and got 400 KiB: 25 pieces of 16 KiB, under 2 of 256 KiB.
  const candidates = [
    peer(1, {
      amChoking: false,
      uploadRateToPeer: 5000,
      lastUnchokedAt: instant(NOW - 120_000),
      uploadedSinceUnchokeBytes: 400 * 1024,
    }),
    peer(2),
  ]
  const state = { now: NOW, seeding: true, rotateOptimistic: false } as const
  const slotOne = { ...options, slots: 1, optimistic: false }
  const small = chooseUnchoked(
    candidates,
    { ...state, pieceBytes: 16_384 },
    slotOne,
    new SeededRandom(1),
  )
  assert.deepEqual(small.unchoked, [2], 'served its quota of 16 KiB pieces: it yields')
  const large = chooseUnchoked(
    candidates,
    { ...state, pieceBytes: 262_144 },
    slotOne,
    new SeededRandom(1),
  )
  assert.deepEqual(large.unchoked, [1], 'short of 20 pieces of 256 KiB: it keeps the slot')
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { SeededRandom } from '../../../core/random.js'
import { instant } from '../../../core/time.js'
import { chooseUnchoked, DEFAULT_CHOKE_OPTIONS, type ChokeCandidate } from './choker.js'

/** The seeding quota is 20 pieces of this size. */
const PIECE_BYTES = 262_144

const candidate = (id: number): fc.Arbitrary<ChokeCandidate> =>
  fc.record({
    peer: fc.constant(id),
    interested: fc.boolean(),
    amChoking: fc.boolean(),
    downloadRateFromPeer: fc.constantFrom(0, 100, 5_000, 80_000),
    uploadRateToPeer: fc.constantFrom(0, 100, 5_000, 80_000),
    isSeed: fc.boolean(),
    snubbed: fc.boolean(),
    connectedAt: fc.integer({ min: 0, max: 600_000 }).map(instant),
    lastUnchokedAt: fc.integer({ min: 0, max: 600_000 }).map(instant),
    uploadedSinceUnchokeBytes: fc.constantFrom(0, 1e6, 1e8),
  })

const scenario = fc.record({
  candidates: fc
    .uniqueArray(fc.nat({ max: 60 }), { maxLength: 25 })
    .chain((ids) => fc.tuple(...ids.map(candidate))),
  seeding: fc.boolean(),
  optimistic: fc.option(fc.nat({ max: 60 }), { nil: undefined }),
  lastOptimisticAt: fc.integer({ min: 0, max: 600_000 }).map(instant),
  slots: fc.integer({ min: 1, max: 8 }),
  seed: fc.nat(),
  shuffle: fc.nat(),
})

test('property: bounded, interested-only, snub-aware, pure and order-independent', () => {
  fc.assert(
    fc.property(scenario, (s) => {
      const state = {
        now: instant(600_000),
        seeding: s.seeding,
        pieceBytes: PIECE_BYTES,
        lastOptimisticAt: s.lastOptimisticAt,
        ...(s.optimistic === undefined ? {} : { optimistic: s.optimistic }),
      }
      const options = { ...DEFAULT_CHOKE_OPTIONS, slots: s.slots }
      const frozen = JSON.stringify(s.candidates)
      const decision = chooseUnchoked(s.candidates, state, options, new SeededRandom(s.seed))
      assert.equal(JSON.stringify(s.candidates), frozen, 'candidates were mutated')
      assert.ok(decision.unchoked.length <= s.slots)
      const byId = new Map(s.candidates.map((c) => [c.peer, c]))
      for (const id of decision.unchoked) {
        const c = byId.get(id)
        assert.ok(c !== undefined && c.interested && !c.isSeed)
        if (!s.seeding && id !== decision.optimistic) assert.ok(!c.snubbed)
      }
      const again = chooseUnchoked(s.candidates, state, options, new SeededRandom(s.seed))
      assert.deepEqual(again, decision)
      const rotated = [...s.candidates]
      rotated.push(...rotated.splice(0, s.shuffle % Math.max(1, rotated.length)))
      assert.deepEqual(chooseUnchoked(rotated, state, options, new SeededRandom(s.seed)), decision)
    }),
    { numRuns: 300 },
  )
})

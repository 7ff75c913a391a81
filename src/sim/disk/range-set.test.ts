import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { RangeSet } from './range-set.js'

/** A small universe, so random operations overlap, touch and split ranges often. */
const UNIVERSE = 120

type Op = { kind: 'add' | 'remove'; start: number; end: number } | { kind: 'clip'; limit: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('add' as const, 'remove' as const),
    start: fc.nat({ max: UNIVERSE }),
    end: fc.nat({ max: UNIVERSE }),
  }),
  fc.record({ kind: fc.constant('clip' as const), limit: fc.nat({ max: UNIVERSE }) }),
)

/** Maximal runs of true in the model: what a coalesced range set must hold. */
function runs(model: readonly boolean[]): [number, number][] {
  const out: [number, number][] = []
  for (let i = 0; i < model.length; i++) {
    if (!model[i]) continue
    const last = out.at(-1)
    if (last !== undefined && last[1] === i) last[1] = i + 1
    else out.push([i, i + 1])
  }
  return out
}

test('range set matches a bitmap model under add, remove and clip', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 40 }), fc.nat({ max: UNIVERSE }), (ops, probe) => {
      const set = new RangeSet()
      const model = new Array<boolean>(UNIVERSE).fill(false)
      for (const op of ops) {
        if (op.kind === 'clip') {
          set.clipTo(op.limit)
          model.fill(false, op.limit)
        } else {
          set[op.kind](op.start, op.end)
          if (op.start < op.end) model.fill(op.kind === 'add', op.start, op.end)
        }
      }
      assert.deepEqual(set.toArray(), runs(model))
      assert.equal(set.count, runs(model).length)
      const window = runs(model.map((inSet, i) => inSet && i >= probe && i < probe + 17))
      assert.deepEqual(set.intersect(probe, probe + 17), window)
      const covered = model.slice(probe, probe + 17).every(Boolean) && probe + 17 <= UNIVERSE
      assert.equal(set.covers(probe, probe + 17), covered)
    }),
    { numRuns: 400 },
  )
})

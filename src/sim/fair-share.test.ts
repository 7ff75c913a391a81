import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { maxMinFairShare, type FairShareProblem } from './fair-share.js'

const solve = (problem: FairShareProblem): number[] => {
  const rates = new Float64Array(problem.first.length)
  maxMinFairShare(problem, rates)
  return [...rates]
}

const close = (actual: number, expected: number): boolean =>
  Math.abs(actual - expected) <= 1e-9 * Math.max(1, expected)

// Resources: 0 = A's upload, 1 = B's download, 2 = C's download, 3 = C's upload...

test('two flows from one uploader split it evenly', () => {
  const rates = solve({ capacity: [1000, 1000, 1000], first: [0, 0], second: [1, 2] })
  assert.deepEqual(rates, [500, 500])
})

test('a flow held back by a slow receiver leaves the rest to the other (max-min)', () => {
  // A uploads 1000 to B (downloads 100) and to C (downloads 1000).
  const rates = solve({ capacity: [1000, 100, 1000], first: [0, 0], second: [1, 2] })
  assert.deepEqual(rates, [100, 900])
})

test('a receiver shared by two uploaders of different speed', () => {
  // A up 300, B up 1000, both to C down 1000: A gets 300, B the remaining 700.
  const rates = solve({ capacity: [300, 1000, 1000], first: [0, 1], second: [2, 2] })
  assert.deepEqual(rates, [300, 700])
})

type Instance = { capacity: number[]; first: number[]; second: number[] }

const instances = fc
  .integer({ min: 2, max: 12 })
  .chain((resources) =>
    fc.record({
      capacity: fc.array(fc.integer({ min: 1, max: 1000 }), {
        minLength: resources,
        maxLength: resources,
      }),
      pairs: fc.array(
        fc.tuple(fc.nat(resources - 1), fc.nat(resources - 1)).filter(([a, b]) => a !== b),
        { maxLength: 30 },
      ),
    }),
  )
  .map(({ capacity, pairs }): Instance => ({
    capacity,
    first: pairs.map(([a]) => a),
    second: pairs.map(([, b]) => b),
  }))

test('rates are feasible and every flow has a saturated bottleneck where it is largest', () => {
  fc.assert(
    fc.property(instances, (instance) => {
      const rates = solve(instance)
      const load = instance.capacity.map(() => 0)
      const largest = instance.capacity.map(() => 0)
      rates.forEach((rate, f) => {
        assert.ok(rate > 0, 'every flow gets something')
        for (const r of [instance.first[f] as number, instance.second[f] as number]) {
          load[r] = (load[r] as number) + rate
          largest[r] = Math.max(largest[r] as number, rate)
        }
      })
      load.forEach((used, r) => assert.ok(used <= (instance.capacity[r] as number) * (1 + 1e-9)))
      rates.forEach((rate, f) => {
        const bottleneck = [instance.first[f] as number, instance.second[f] as number].some(
          (r) =>
            close(load[r] as number, instance.capacity[r] as number) &&
            close(largest[r] as number, rate),
        )
        assert.ok(bottleneck, `flow ${f} (rate ${rate}) has no bottleneck`)
      })
    }),
    { numRuns: 300 },
  )
})

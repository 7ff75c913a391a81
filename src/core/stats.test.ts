import assert from 'node:assert/strict'
import { test } from 'node:test'
import { percentileSorted, roundSummary, summarize } from './stats.js'

test('nearest-rank percentiles', () => {
  const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
  assert.equal(percentileSorted(sorted, 0.5), 5)
  assert.equal(percentileSorted(sorted, 0.9), 9)
  assert.equal(percentileSorted(sorted, 1), 10)
  assert.equal(percentileSorted(sorted, 0), 1)
  assert.equal(percentileSorted([], 0.5), 0)
})

test('summarize sorts a copy and reports the shape', () => {
  const values = [5, 1, 3]
  const s = summarize(values)
  assert.deepEqual(values, [5, 1, 3])
  assert.deepEqual(s, { count: 3, min: 1, mean: 3, p50: 3, p90: 5, p99: 5, max: 5 })
  assert.equal(summarize([]).count, 0)
  assert.equal(roundSummary(summarize([1 / 3])).mean, 0.333)
})

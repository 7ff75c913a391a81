import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom } from '../../../core/random.js'
import { sampleDistinct } from './sample.js'

/** Draws many samples and checks each is distinct and in range, and every value is as likely. */
function checkUniform(range: number, count: number, rounds: number): void {
  const random = new SeededRandom(range * 1000 + count)
  const hits = new Array<number>(range).fill(0)
  for (let r = 0; r < rounds; r++) {
    const sample = sampleDistinct(random, range, count)
    assert.equal(sample.length, Math.min(count, range))
    assert.equal(new Set(sample).size, sample.length, 'distinct')
    for (const value of sample) {
      assert.ok(Number.isInteger(value) && value >= 0 && value < range)
      hits[value] = (hits[value] as number) + 1
    }
  }
  const expected = (rounds * Math.min(count, range)) / range
  // Five standard deviations of a binomial count: a biased sampler misses by far more.
  const tolerance = 5 * Math.sqrt(expected)
  for (const h of hits) assert.ok(Math.abs(h - expected) < tolerance, `${h} vs ${expected}`)
}

test('dense draws (partial shuffle) are distinct and uniform', () => {
  checkUniform(59, 50, 4000)
  checkUniform(100, 13, 20_000)
})

test('sparse draws (Floyd) are distinct and uniform', () => {
  checkUniform(200, 5, 40_000)
  checkUniform(5000, 50, 20_000)
})

test('asking for the whole range or more returns every index', () => {
  assert.deepEqual(sampleDistinct(new SeededRandom(1), 4, 9), [0, 1, 2, 3])
})

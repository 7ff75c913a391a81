import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom } from '../../core/random.js'
import { balancedLayoutHops } from './can-balanced.js'

// Greedy routing over equal zones gives the paper's (d/4) N^(1/d) when the grid is square
// (N = 2^(d k)); the walker must reproduce it before its figures between powers of two mean
// anything. Over every (origin, point) pair the mean is exact; sampled, within a few percent.
test('can-balanced: equal square zones give (d/4) N^(1/d)', () => {
  for (const [nodes, dims] of [
    [1024, 2],
    [4096, 2],
    [512, 3],
    [256, 4],
  ] as const) {
    const r = balancedLayoutHops(nodes, dims, 2000, new SeededRandom(7).fork(`${nodes}/${dims}`))
    assert.deepEqual(r.depths, [Math.log2(nodes), Math.log2(nodes)])
    const ratio = r.meanHops / r.formula
    assert.ok(Math.abs(ratio - 1) < 0.04, `N ${nodes} d ${dims}: ${r.meanHops} vs ${r.formula}`)
  }
})

test('can-balanced: between powers of two the zones take two depths and paths fall short', () => {
  const r = balancedLayoutHops(3000, 2, 2000, new SeededRandom(8))
  assert.deepEqual(r.depths, [11, 12])
  assert.ok(r.meanHops < 0.95 * r.formula, `${r.meanHops} vs ${r.formula}`)
})

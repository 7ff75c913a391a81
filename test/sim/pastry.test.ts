import assert from 'node:assert/strict'
import { runPastry } from '../../src/lab/scenarios/pastry.js'
import { seededTest } from './helpers.js'

/**
 * Pastry in the simulator through the production driver. The oracle is the sorted list of
 * live ids: every lookup must end at the numerically closest one. The paper bounds the
 * expected hops by ceil(log16 N); proximity makes a hop cheaper than a random pair.
 */
seededTest(
  'pastry: 400 nodes route to the numerically closest id in < ceil(log16 N) hops',
  41,
  (seed) => {
    const r = runPastry({ nodes: 400, lookups: 150, items: 10, joinSeconds: 40 }, seed)
    assert.equal(r.joined, 400)
    assert.equal(r.successRate, 1, JSON.stringify(r.failures))
    assert.ok(r.hops.mean < r.log16N, `hops ${r.hops.mean} vs ${r.log16N}`)
    assert.equal(r.items.found, r.items.tried)
    assert.equal(r.state.leaves, 16)
    assert.ok(r.hopLatencyRatio < 1, `hop latency ratio ${r.hopLatencyRatio}`)
  },
)

seededTest('pastry: after 20% fail at once, repaired tables route correctly', 42, (seed) => {
  const r = runPastry(
    { nodes: 300, lookups: 100, items: 0, joinSeconds: 30, failFraction: 0.2 },
    seed,
  )
  assert.ok(r.afterFailure !== undefined)
  assert.ok(r.afterFailure.successRate >= 0.97, `success ${r.afterFailure.successRate}`)
})

seededTest('pastry: the same seed replays exactly', 43, (seed) => {
  const params = { nodes: 80, lookups: 20, items: 3, joinSeconds: 10 }
  assert.equal(JSON.stringify(runPastry(params, seed)), JSON.stringify(runPastry(params, seed)))
})

seededTest(
  'pastry: central tables (--join 0) route to the closest id; heartbeats repair',
  44,
  (seed) => {
    const r = runPastry({ nodes: 500, lookups: 150, items: 10, join: 0, failFraction: 0.1 }, seed)
    assert.equal(r.builtBy, 'oracle')
    assert.equal(r.joined, 500)
    assert.equal(r.successRate, 1, JSON.stringify(r.failures))
    assert.ok(r.hops.mean < r.log16N, `hops ${r.hops.mean} vs ${r.log16N}`)
    assert.equal(r.state.leaves, 16)
    assert.ok(r.hopLatencyRatio < 1, `hop latency ratio ${r.hopLatencyRatio}`)
    assert.ok(r.afterFailure !== undefined)
    assert.ok(r.afterFailure.successRate >= 0.97, `after failure ${r.afterFailure.successRate}`)
  },
)

import assert from 'node:assert/strict'
import { runCan } from '../../src/lab/scenarios/can.js'
import { seededTest } from './helpers.js'

/**
 * CAN in the simulator through the production driver. The oracle is the central zone map of
 * every live node's zones: the zones must tile the torus (no gap, no overlap) and every lookup
 * must end at the owner of its point. Hops: the paper's average path is (d/4) N^(1/d) on a
 * perfect grid; random joins make zones uneven, so we allow [0.8, 1.5] times that (measured
 * in docs/protocols/can.md).
 */
seededTest('can: 600 nodes in 2 dimensions tile the torus and route to the owner', 31, (seed) => {
  const r = runCan({ nodes: 600, dims: 2, lookups: 200, items: 30, joinSeconds: 60 }, seed)
  assert.deepEqual(r.tilingProblems, [])
  assert.equal(r.joined, 600)
  assert.equal(r.successRate, 1, `success ${r.successRate}`)
  assert.equal(r.items.found, r.items.tried)
  assert.ok(r.hops.mean >= 0.8 * r.expectedHops, `hops ${r.hops.mean} vs ${r.expectedHops}`)
  assert.ok(r.hops.mean <= 1.5 * r.expectedHops, `hops ${r.hops.mean} vs ${r.expectedHops}`)
  // O(d) neighbours: 2d on a regular grid, more with uneven zones.
  assert.ok(r.neighbours.mean <= 4 * r.dims, `neighbours ${r.neighbours.mean}`)
})

seededTest('can: 4 dimensions shorten paths as N^(1/4)', 32, (seed) => {
  const r = runCan({ nodes: 600, dims: 4, lookups: 150, items: 10, joinSeconds: 60 }, seed)
  assert.deepEqual(r.tilingProblems, [])
  assert.equal(r.successRate, 1)
  assert.ok(r.hops.mean <= 1.5 * r.expectedHops, `hops ${r.hops.mean} vs ${r.expectedHops}`)
})

seededTest(
  'can: after 20% fail at once, takeovers heal the tiling and keys survive',
  33,
  (seed) => {
    const r = runCan(
      { nodes: 400, dims: 2, lookups: 150, items: 30, joinSeconds: 40, failFraction: 0.2 },
      seed,
    )
    assert.deepEqual(r.tilingProblems, [])
    const after = r.afterFailure
    assert.ok(after !== undefined)
    assert.equal(after.failed, 80)
    assert.ok(after.takeovers >= 60, `${after.takeovers} takeovers`)
    // Measured 96.7 % (seed 33): the misses are 'no_route' — a hop whose only way on was a
    // neighbour that died; the origin does not yet back up more than one hop (docs: missing).
    assert.ok(after.successRate >= 0.95, `success after failure ${after.successRate}`)
    assert.equal(after.itemsFound, r.items.tried, 'replicas recover the failed owners keys')
  },
)

seededTest(
  "can: uniform partitioning (the paper's 3.7) evens the zones the protocol's joins make",
  36,
  (seed) => {
    const common = { nodes: 500, dims: 2, lookups: 100, items: 10, joinSeconds: 50 }
    const uniform = runCan({ ...common, uniform: 1 }, seed)
    const random = runCan({ ...common, uniform: 0 }, seed)
    for (const r of [uniform, random]) {
      assert.deepEqual(r.tilingProblems, [])
      assert.equal(r.joined, 500)
      assert.equal(r.successRate, 1, JSON.stringify(r.failures))
      assert.equal(r.items.found, r.items.tried)
    }
    assert.ok(uniform.uniform && !random.uniform)
    assert.ok(
      random.zones.volumeCv > 2 * uniform.zones.volumeCv,
      `volume CV ${uniform.zones.volumeCv} uniform vs ${random.zones.volumeCv}`,
    )
    const depthSpread = (r: typeof uniform): number => r.zones.maxDepth - r.zones.minDepth
    assert.ok(
      depthSpread(uniform) < depthSpread(random),
      JSON.stringify([uniform.zones, random.zones]),
    )
    // Even zones bring the paths nearer the grid formula (d/4) N^(1/d).
    assert.ok(
      uniform.hops.mean / uniform.expectedHops > random.hops.mean / random.expectedHops,
      `hops ${uniform.hops.mean} vs ${random.hops.mean} (formula ${uniform.expectedHops})`,
    )
  },
)

seededTest(
  'can: 20 joins a second leave no link missing (the split announces the newcomer)',
  33,
  (seed) => {
    // Before the splitting node named the newcomer in the update announcing its new shape, two
    // zones abutting across the torus seam could both miss each other after concurrent joins
    // (no third zone abuts both, so no heartbeat list repaired it): 15 of 400 joins then failed
    // in routing loops at this seed with 10 joins a second.
    const r = runCan({ nodes: 400, dims: 2, lookups: 150, items: 20, joinSeconds: 20 }, seed)
    assert.equal(r.joined, 400)
    assert.deepEqual(r.tilingProblems, [])
    assert.deepEqual(r.failures, {})
    assert.equal(r.successRate, 1)
    assert.equal(r.items.found, r.items.tried)
  },
)

seededTest('can: the same seed replays exactly', 34, (seed) => {
  const params = { nodes: 120, dims: 2, lookups: 30, items: 5, joinSeconds: 20 }
  assert.equal(JSON.stringify(runCan(params, seed)), JSON.stringify(runCan(params, seed)))
})

seededTest(
  'can: zones placed centrally (--join 0) route to the owner and heal after failures',
  35,
  (seed) => {
    const r = runCan(
      { nodes: 500, dims: 2, lookups: 150, items: 20, join: 0, failFraction: 0.1 },
      seed,
    )
    assert.equal(r.builtBy, 'oracle')
    assert.equal(r.joined, 500)
    assert.deepEqual(r.tilingProblems, [])
    assert.equal(r.successRate, 1, JSON.stringify(r.failures))
    assert.equal(r.items.found, r.items.tried)
    assert.ok(r.hops.mean >= 0.7 * r.expectedHops, `hops ${r.hops.mean} vs ${r.expectedHops}`)
    assert.ok(r.hops.mean <= 1.5 * r.expectedHops, `hops ${r.hops.mean} vs ${r.expectedHops}`)
    // The installed nodes run the protocol: heartbeats spread neighbour lists, takeovers heal.
    assert.ok(r.afterFailure !== undefined && r.afterFailure.takeovers >= 40)
    assert.ok(r.afterFailure.successRate >= 0.95, `after failure ${r.afterFailure.successRate}`)
  },
)

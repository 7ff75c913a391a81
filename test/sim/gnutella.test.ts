import assert from 'node:assert/strict'
import { runGnutella } from '../../src/lab/scenarios/gnutella.js'
import { seededTest } from './helpers.js'

/**
 * The production Gnutella servent on simulated TCP streams. Oracle: with constant latency a
 * flood's first copy reaches every servent by a shortest path, so the servents a flat flood
 * reaches must be exactly the breadth-first ball of radius TTL around the originator.
 */
seededTest(
  'gnutella flat flood reaches exactly the BFS ball, on random and power-law graphs',
  7,
  (seed) => {
    for (const graph of ['random', 'power-law']) {
      const r = runGnutella(
        { nodes: 400, queries: 15, ttl: 3, mode: 'flat', graph, degree: 4 },
        seed,
      )
      const flat = r.modes[0]
      assert.ok(flat !== undefined)
      assert.equal(flat.oracle.checked, 15)
      assert.equal(flat.oracle.mismatches, 0, `graph ${graph}`)
      assert.equal(flat.invariantViolations, 0, flat.invariantSamples.join('\n'))
      assert.ok(flat.peersReachedPerQuery > 20, `reached ${flat.peersReachedPerQuery}`)
    }
  },
)

seededTest(
  'gnutella ultrapeers: fewer messages, leaves shielded, invariants hold, replays',
  3,
  (seed) => {
    const params = { nodes: 600, queries: 30, ttl: 7, mode: 'both', replication: 0.02 }
    const r = runGnutella(params, seed)
    const [flat, up] = r.modes
    assert.ok(flat !== undefined && up !== undefined)
    for (const m of r.modes) assert.equal(m.invariantViolations, 0, m.invariantSamples.join('\n'))
    assert.equal(flat.oracle.mismatches, 0)
    assert.ok((r.messageRatio ?? 0) >= 5, `ratio ${r.messageRatio}`)
    assert.ok(up.hitRate >= flat.hitRate, `hit rate ${up.hitRate} vs ${flat.hitRate}`)
    assert.ok(up.queriesSeenPerLeafPerQuery <= 0.05 * flat.queriesSeenPerLeafPerQuery + 0.01)
    assert.deepEqual(runGnutella(params, seed), r, `not deterministic; reproduce with SEED=${seed}`)
  },
)

seededTest(
  'the direct fabric runs the same servents to the same figures as simulated TCP, and the BFS oracle holds on it',
  3,
  (seed) => {
    const params = { nodes: 500, queries: 20, ttl: 4, mode: 'both', replication: 0.02 }
    const tcp = runGnutella({ ...params, fabric: 'tcp' }, seed)
    const direct = runGnutella({ ...params, fabric: 'direct' }, seed)
    // Events differ (no TCP segments); every protocol figure is the same.
    const figures = (r: typeof tcp) => r.modes.map((m) => ({ ...m, events: 0 }))
    assert.deepEqual(figures(direct), figures(tcp))
    const flat = direct.modes[0]
    assert.ok(flat !== undefined)
    assert.equal(flat.oracle.checked, 20)
    assert.equal(flat.oracle.mismatches, 0)
    assert.equal(flat.invariantViolations, 0, flat.invariantSamples.join('\n'))
  },
)

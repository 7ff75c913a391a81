import assert from 'node:assert/strict'
import { REPLICATION_SWEEP, runGnutella } from '../../src/lab/scenarios/gnutella.js'
import { seededTest } from './helpers.js'

/**
 * `--replications sweep`: items take four replication ratios in turn and the report groups
 * the queries by ratio. Oracle: a flat flood whose TTL covers the whole graph collects one
 * result from every holder of the item and from nobody else (no item is found through
 * another's name), so each ratio's results per query equal its holders per item.
 */
seededTest(
  'gnutella replication sweep: per-ratio figures, whole-graph floods find exactly the holders',
  4,
  (seed) => {
    const r = runGnutella(
      {
        nodes: 300,
        degree: 8,
        ttl: 7,
        queries: 40,
        mode: 'both',
        replications: 'sweep',
        fabric: 'direct',
      },
      seed,
    )
    const [flat, up] = r.modes
    assert.ok(flat?.byReplication !== undefined && up?.byReplication !== undefined)
    assert.deepEqual(
      flat.byReplication.map((b) => b.replication),
      REPLICATION_SWEEP,
    )
    assert.equal(
      flat.byReplication.reduce((s, b) => s + b.queries, 0),
      40,
    )
    assert.equal(flat.peersReachedPerQuery, 299)
    for (const b of flat.byReplication) {
      assert.ok(b.queries > 0)
      assert.equal(b.hitRate, 1, `flat ${b.replication}`)
      assert.equal(b.resultsPerQuery, b.holdersPerItem, `flat ${b.replication}`)
    }
    for (const b of up.byReplication) assert.equal(b.hitRate, 1, `ultrapeer ${b.replication}`)
    for (const m of r.modes) assert.equal(m.invariantViolations, 0, m.invariantSamples.join('\n'))
    const plain = runGnutella({ nodes: 300, queries: 5, mode: 'flat', fabric: 'direct' }, seed)
    assert.equal(plain.modes[0]?.byReplication, undefined)
  },
)

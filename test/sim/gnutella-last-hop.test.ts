import assert from 'node:assert/strict'
import { runGnutella } from '../../src/lab/scenarios/gnutella.js'
import { seededTest } from './helpers.js'

/**
 * Fixed-TTL floods through the ultrapeer mesh (`--query-ttl`, no dynamic querying): the
 * servents' ultrapeer-to-ultrapeer copies, at TTL 1 and in all, equal the BFS oracle's count
 * on the same graph exactly, with and without leaves, at degree 6 and at degree 32.
 */
seededTest(
  'gnutella last-hop share: the servents count exactly what the BFS oracle predicts',
  5,
  (seed) => {
    const cases = [
      { nodes: 500, ultrapeerFraction: 1, ultrapeerDegree: 6, queryTtl: 4 },
      { nodes: 1000, ultrapeerFraction: 0.2, ultrapeerDegree: 6, queryTtl: 5 },
      { nodes: 400, ultrapeerFraction: 0.5, ultrapeerDegree: 32, queryTtl: 3 },
    ]
    for (const c of cases) {
      const r = runGnutella({ ...c, queries: 12, mode: 'ultrapeer', fabric: 'direct' }, seed)
      const up = r.modes[0]
      assert.ok(up !== undefined && up.lastHop.oracle !== undefined, JSON.stringify(c))
      assert.equal(r.dynamicQuerying, false)
      assert.equal(up.invariantViolations, 0, up.invariantSamples.join('\n'))
      assert.equal(up.lastHop.oracle.floods, 12)
      assert.ok(up.lastHop.copies.all > 0)
      assert.deepEqual(up.lastHop.copies, up.lastHop.oracle.graphCopies, JSON.stringify(c))
      assert.equal(up.lastHop.measuredShare, up.lastHop.oracle.graphShare)
    }
  },
)

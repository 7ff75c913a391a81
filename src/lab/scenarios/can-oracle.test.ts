import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom } from '../../core/random.js'
import { adjacent, canConfig, tilingProblems } from '../../protocols/can/index.js'
import { buildCanLayout } from './can-oracle.js'

/**
 * The central CAN layout (for runs too large to route every join) is what CAN's joins make:
 * the zones tile the torus, and each node's neighbour set is exactly the nodes whose zones
 * abut its own by the protocol's adjacency test (checked against all pairs).
 */
for (const dims of [1, 2, 3, 4]) {
  test(`can central layout, d = ${dims}: zones tile the torus, neighbours = all abutting`, () => {
    const nodes = 400
    const layout = buildCanLayout(nodes, canConfig({ dims }), new SeededRandom(dims))
    assert.equal(layout.zones.length, nodes)
    assert.deepEqual(tilingProblems(layout.zones), [])
    for (let i = 0; i < nodes; i++) {
      const expected: number[] = []
      for (let j = 0; j < nodes; j++) {
        if (j !== i && adjacent(layout.zones[i] as string, layout.zones[j] as string, dims))
          expected.push(j)
      }
      assert.deepEqual(
        [...(layout.neighbours[i] as number[])].sort((a, b) => a - b),
        expected,
      )
    }
  })
}

test('can central layout: two nodes halve the space along the first dimension', () => {
  const layout = buildCanLayout(2, canConfig({ dims: 2 }), new SeededRandom(1))
  assert.deepEqual([...layout.zones].sort(), ['0', '1'])
  assert.deepEqual(layout.neighbours, [[1], [0]])
})

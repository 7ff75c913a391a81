import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom } from '../../core/random.js'
import { adjacent, canConfig, tilingProblems, volumeOf } from '../../protocols/can/index.js'
import { buildCanLayout } from './can-oracle.js'

/**
 * The central CAN layout (for runs too large to route every join) is what CAN's joins make:
 * the zones tile the torus, and each node's neighbour set is exactly the nodes whose zones
 * abut its own by the protocol's adjacency test (checked against all pairs).
 */
for (const [dims, uniformPartitioning] of [1, 2, 3, 4].flatMap((d) => [
  [d, true] as const,
  [d, false] as const,
])) {
  const how = uniformPartitioning ? 'uniform partitioning' : 'split at the point'
  test(`can central layout, d = ${dims}, ${how}: zones tile, neighbours = all abutting`, () => {
    const nodes = 400
    const config = canConfig({ dims, uniformPartitioning })
    const layout = buildCanLayout(nodes, config, new SeededRandom(dims))
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

/** Per-node volumes' coefficient of variation and the spread of split depths. */
function spread(zones: readonly string[]): { cv: number; depths: number } {
  const volumes = zones.map((z) => volumeOf(z))
  const mean = volumes.reduce((a, b) => a + b, 0) / volumes.length
  const variance = volumes.reduce((a, v) => a + (v - mean) ** 2, 0) / volumes.length
  const lengths = zones.map((z) => z.length)
  return {
    cv: Math.sqrt(variance) / mean,
    depths: Math.max(...lengths) - Math.min(...lengths),
  }
}

for (const dims of [2, 4]) {
  test(`can central layout, d = ${dims}: uniform partitioning evens the zones`, () => {
    const nodes = 3000
    const build = (uniformPartitioning: boolean): string[] =>
      buildCanLayout(nodes, canConfig({ dims, uniformPartitioning }), new SeededRandom(40 + dims))
        .zones
    const uniform = spread(build(true))
    const random = spread(build(false))
    assert.ok(uniform.cv < 0.5, `uniform CV ${uniform.cv}, random ${random.cv}`)
    assert.ok(random.cv > 1.5 * uniform.cv, `uniform CV ${uniform.cv}, random ${random.cv}`)
    assert.ok(uniform.depths < random.depths, `depth spread ${uniform.depths} vs ${random.depths}`)
  })
}

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { lastHopShare } from '../../protocols/gnutella/index.js'
import type { Adjacency } from './gnutella-graph.js'
import { lastHopOracle, shareOf, treeCopies } from './gnutella-last-hop.js'

test('the tree copy count gives the UP-QRP formula', () => {
  for (const [d, h] of [
    [6, 7],
    [32, 3],
    [4, 1],
    [3, 5],
  ] as const) {
    assert.ok(Math.abs(shareOf(treeCopies(d, h)) - lastHopShare(d, h)) < 1e-12, `${d}/${h}`)
  }
  assert.deepEqual(treeCopies(6, 7), { lastHop: 6 * 5 ** 6, all: (6 * (5 ** 7 - 1)) / 4 })
})

/** A tree in which every inner node has `degree` neighbours, `depth` levels below the root. */
function regularTree(degree: number, depth: number): Adjacency {
  const adjacency: Adjacency = [[]]
  let level = [0]
  for (let k = 0; k < depth; k++) {
    const next: number[] = []
    for (const u of level) {
      for (let c = 0; c < (k === 0 ? degree : degree - 1); c++) {
        const v = adjacency.length
        adjacency.push([u])
        ;(adjacency[u] as number[]).push(v)
        next.push(v)
      }
    }
    level = next
  }
  return adjacency
}

test('on a tree the BFS oracle equals the formula; a cycle lowers the BFS tree share', () => {
  const tree = regularTree(4, 4)
  const o = lastHopOracle(tree, () => true, [{ entry: 0, height: 3 }], 4)
  assert.deepEqual(o.graph, o.tree)
  assert.deepEqual(o.bfsTreeNodes, { lastHop: 4 * 9, all: 4 + 12 + 36 })
  // A triangle: the entry sends 2 copies at TTL 2, each neighbour one at TTL 1 to the other.
  const triangle: Adjacency = [
    [1, 2],
    [0, 2],
    [0, 1],
  ]
  const t = lastHopOracle(triangle, () => true, [{ entry: 0, height: 2 }], 2)
  assert.deepEqual(t.graph, { lastHop: 2, all: 4 })
  assert.deepEqual(t.bfsTreeNodes, { lastHop: 0, all: 2 })
  // Leaves are not part of the mesh: a leaf neighbour adds no copy.
  const withLeaf: Adjacency = [[1, 3], [0], [], [0]]
  const l = lastHopOracle(withLeaf, (i) => i !== 3, [{ entry: 0, height: 2 }], 2)
  assert.deepEqual(l.graph, { lastHop: 0, all: 1 })
})

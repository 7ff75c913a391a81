/**
 * Overlay graphs for the Gnutella scenario and the flood oracle. `randomGraph` gives each node
 * `degree / 2` links to uniformly chosen others (mean degree ~ `degree`); `powerLawGraph` is
 * Barabasi-Albert preferential attachment with m = degree / 2 (a few hubs, as measured in
 * Gnutella 0.4 crawls). Both are simple graphs (no loops, no repeated edges), seeded.
 */
import type { Random } from '../../core/random.js'

export type Adjacency = number[][]

export function randomGraph(nodes: number, degree: number, random: Random): Adjacency {
  const adjacency: Adjacency = Array.from({ length: nodes }, () => [])
  const edges = new Set<number>()
  const per = Math.max(1, Math.round(degree / 2))
  const link = (a: number, b: number): void => {
    if (a === b) return
    const key = a < b ? a * nodes + b : b * nodes + a
    if (edges.has(key)) return
    edges.add(key)
    ;(adjacency[a] as number[]).push(b)
    ;(adjacency[b] as number[]).push(a)
  }
  // A ring first, so the graph is connected and the oracle compares whole floods.
  for (let i = 0; i < nodes && nodes > 1; i++) link(i, (i + 1) % nodes)
  for (let i = 0; i < nodes; i++) for (let k = 1; k < per; k++) link(i, random.int(nodes))
  return adjacency
}

export function powerLawGraph(nodes: number, degree: number, random: Random): Adjacency {
  const adjacency: Adjacency = Array.from({ length: nodes }, () => [])
  const m = Math.max(1, Math.round(degree / 2))
  /** Every edge end, so a uniform pick is a degree-proportional pick. */
  const ends: number[] = []
  const seedNodes = Math.min(nodes, m + 1)
  for (let a = 0; a < seedNodes; a++) {
    for (let b = a + 1; b < seedNodes; b++) {
      ;(adjacency[a] as number[]).push(b)
      ;(adjacency[b] as number[]).push(a)
      ends.push(a, b)
    }
  }
  for (let v = seedNodes; v < nodes; v++) {
    const chosen = new Set<number>()
    for (let tries = 0; chosen.size < m && tries < 20 * m; tries++) {
      chosen.add(ends[random.int(ends.length)] as number)
    }
    for (const u of chosen) {
      ;(adjacency[v] as number[]).push(u)
      ;(adjacency[u] as number[]).push(v)
      ends.push(u, v)
    }
  }
  return adjacency
}

/** Nodes within `ttl` hops of `origin` (origin excluded): what a perfect flood reaches. */
export function floodReach(adjacency: Adjacency, origin: number, ttl: number): Set<number> {
  const depth = new Map<number, number>([[origin, 0]])
  let frontier = [origin]
  for (let d = 1; d <= ttl && frontier.length > 0; d++) {
    const next: number[] = []
    for (const u of frontier) {
      for (const v of adjacency[u] as number[]) {
        if (depth.has(v)) continue
        depth.set(v, d)
        next.push(v)
      }
    }
    frontier = next
  }
  depth.delete(origin)
  return new Set(depth.keys())
}

/**
 * The last-hop share of ultrapeer floods, three ways (UP-QRP v0.1's argument for last-hop
 * QRP: in a tree of degree d, the TTL-1 copies are (d-1)^(h-1) / sum_i (d-1)^(i-1) of all).
 *
 * - `tree`: the formula's no-cycle tree of degree d, summed over the floods' heights.
 * - `graph`: an exact oracle of what the simulator counts, by breadth-first search of the
 *   actual ultrapeer graph. With constant link latency a flood's first copy reaches each
 *   ultrapeer by a shortest path; the entry ultrapeer sends a copy at TTL h to every ultrapeer
 *   neighbour, and each ultrapeer first reached at depth k < h sends one at TTL h - k to every
 *   ultrapeer neighbour but the one it heard from (duplicates are dropped, never forwarded).
 *   So the copies at TTL 1 are those of the depth h-1 ultrapeers, whatever the cycles.
 * - `bfsTreeNodes`: the BFS tree of the actual graph, by nodes: those first reached at depth h
 *   over those reached at depths 1..h (what the formula counts, once cycles merge branches).
 */
import type { Adjacency } from './gnutella-graph.js'

/** One flood through the ultrapeer mesh: where it entered and its TTL there. */
export interface UltrapeerFlood {
  readonly entry: number
  /** The TTL of the entry ultrapeer's copies (h of the formula). */
  readonly height: number
}

export interface CopyCount {
  /** Ultrapeer-to-ultrapeer copies at TTL 1 (sent or withheld by last-hop QRP). */
  readonly lastHop: number
  /** Ultrapeer-to-ultrapeer copies at every TTL. */
  readonly all: number
}

export interface LastHopOracle {
  readonly tree: CopyCount
  readonly graph: CopyCount
  /** Ultrapeers first reached at depth h, and at depths 1..h. */
  readonly bfsTreeNodes: CopyCount
  readonly floods: number
}

export const shareOf = (c: CopyCount): number => (c.all === 0 ? 0 : c.lastHop / c.all)

/** The formula's tree: d copies from the entry, then d-1 from each ultrapeer reached. */
export function treeCopies(degree: number, height: number): CopyCount {
  let all = 0
  let level = degree
  for (let k = 0; k < height; k++) {
    all += level
    if (k < height - 1) level *= degree - 1
  }
  return { lastHop: height >= 1 ? level : 0, all }
}

export function lastHopOracle(
  adjacency: Adjacency,
  isUltrapeer: (node: number) => boolean,
  floods: readonly UltrapeerFlood[],
  degree: number,
): LastHopOracle {
  const n = adjacency.length
  const upDegree = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    if (isUltrapeer(i)) upDegree[i] = (adjacency[i] as number[]).filter(isUltrapeer).length
  }
  /** The flood (1-based) that last reached each node: no clearing between floods. */
  const stamp = new Int32Array(n)
  const tree = { lastHop: 0, all: 0 }
  const graph = { lastHop: 0, all: 0 }
  const nodes = { lastHop: 0, all: 0 }
  floods.forEach(({ entry, height }, f) => {
    const t = treeCopies(degree, height)
    tree.lastHop += t.lastHop
    tree.all += t.all
    stamp[entry] = f + 1
    let frontier = [entry]
    for (let depth = 0; depth <= height && frontier.length > 0; depth++) {
      if (depth > 0) {
        nodes.all += frontier.length
        if (depth === height) nodes.lastHop += frontier.length
      }
      if (depth === height) break
      let copies = 0
      for (const u of frontier) copies += (upDegree[u] ?? 0) - (depth === 0 ? 0 : 1)
      graph.all += copies
      if (depth === height - 1) graph.lastHop += copies
      const next: number[] = []
      for (const u of frontier) {
        for (const v of adjacency[u] as number[]) {
          if (stamp[v] === f + 1 || !isUltrapeer(v)) continue
          stamp[v] = f + 1
          next.push(v)
        }
      }
      frontier = next
    }
  })
  return { tree, graph, bfsTreeNodes: nodes, floods: floods.length }
}

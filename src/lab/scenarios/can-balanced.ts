import type { Random } from '../../core/random.js'
import {
  boxOf,
  contains,
  distanceToCentre,
  distanceToZone,
  type Point,
  type ZonePath,
} from '../../protocols/can/index.js'

/**
 * The best any volume balancing can do for CAN's path length at a given N: N zones of the
 * split tree at two depths only, floor(log2 N) and one deeper (every zone a dyadic box, so N
 * equal zones exist only when N is a power of two), the deeper ones placed at random. Greedy
 * forwarding as `CanNode` does it (the neighbour whose zone is nearest the point, ties the
 * nearest centre) is walked centrally from random zones to random points. Used to tell how
 * far (d/4) N^(1/d) can be met by balancing alone (can.md, "Against the goal").
 */
export interface BalancedHops {
  readonly nodes: number
  readonly depths: readonly [number, number]
  readonly meanHops: number
  readonly formula: number
}

export function balancedLayoutHops(
  nodes: number,
  dims: number,
  routes: number,
  random: Random,
): BalancedHops {
  const base = Math.floor(Math.log2(nodes))
  const shallow: ZonePath[] = []
  for (let i = 0; i < 2 ** base; i++) shallow.push(i.toString(2).padStart(base, '0'))
  for (let i = shallow.length - 1; i > 0; i--) {
    const j = random.int(i + 1)
    ;[shallow[i], shallow[j]] = [shallow[j] as ZonePath, shallow[i] as ZonePath]
  }
  const split = nodes - 2 ** base
  const zones = shallow.flatMap((z, i) => (i < split ? [`${z}0`, `${z}1`] : [z]))
  const owner = new Map(zones.map((z, i) => [z, i]))
  const ownerOf = (p: Point): number => {
    let path = ''
    while (!owner.has(path)) {
      const depth = path.length
      const x = p[depth % dims] as number
      path += Math.floor(x * 2 ** (Math.floor(depth / dims) + 1)) % 2 === 1 ? '1' : '0'
    }
    return owner.get(path) as number
  }
  // Neighbours by probing just outside each face at half the smallest zone side: every
  // neighbour's share of a face is at least that side long, so a probe lands inside it.
  const step = 2 ** -Math.ceil((base + 1) / dims) / 2
  const neighbours = zones.map((zone, i) => {
    const { lo, hi } = boxOf(zone, dims)
    const found = new Set<number>()
    for (let k = 0; k < dims; k++) {
      for (const side of [(lo[k] as number) - step / 2, (hi[k] as number) + step / 2]) {
        probeFace(dims, k, (side + 1) % 1, lo, hi, step, (p) => {
          const n = ownerOf(p)
          if (n !== i) found.add(n)
        })
      }
    }
    return [...found]
  })
  let total = 0
  for (let r = 0; r < routes; r++) {
    let at = random.int(nodes)
    const point = Array.from({ length: dims }, () => random.float())
    while (!contains(zones[at] as ZonePath, dims, point)) {
      let best = at
      let bestZone = Infinity
      let bestCentre = Infinity
      for (const n of neighbours[at] as number[]) {
        const z = distanceToZone(zones[n] as ZonePath, dims, point)
        const c = distanceToCentre(zones[n] as ZonePath, dims, point)
        if (z < bestZone || (z === bestZone && c < bestCentre)) {
          best = n
          bestZone = z
          bestCentre = c
        }
      }
      at = best
      total++
    }
  }
  return {
    nodes,
    depths: [base, nodes > 2 ** base ? base + 1 : base],
    meanHops: total / routes,
    formula: (dims / 4) * nodes ** (1 / dims),
  }
}

/** Calls `visit` at points of the face at `x[k] = at`, spaced `step` across the others. */
function probeFace(
  dims: number,
  k: number,
  at: number,
  lo: readonly number[],
  hi: readonly number[],
  step: number,
  visit: (p: Point) => void,
): void {
  const p = new Array<number>(dims).fill(0)
  p[k] = at
  const fill = (j: number): void => {
    if (j === dims) return visit([...p])
    if (j === k) return fill(j + 1)
    for (let t = (lo[j] as number) + step / 2; t < (hi[j] as number); t += step) {
      p[j] = t
      fill(j + 1)
    }
  }
  fill(0)
}

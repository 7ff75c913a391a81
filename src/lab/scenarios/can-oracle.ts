import type { Random } from '../../core/random.js'
import {
  adjacent,
  boxOf,
  buddyOf,
  halfFor,
  randomPoint,
  type CanConfig,
  type Point,
  type ZonePath,
} from '../../protocols/can/index.js'

/**
 * CAN's zones and neighbour sets built centrally, for runs too large for every node to route
 * its join through the overlay in the time given (as Chord's `--join 0`). The zones are the
 * ones CAN's join makes when the nodes join one after another, each at a random point
 * (membership.ts, `onJoin`): the owner of the point halves its zone along the next dimension
 * in turn and the newcomer takes the half holding the point; with uniform partitioning
 * (`config.uniformPartitioning`, the paper's section 3.7) the owner first compares its zone's
 * volume with its neighbours' and the largest of them splits instead (ties: the owner, then
 * the smaller id), the newcomer taking the half nearer the point (zone.ts, `halfFor`). What is
 * skipped is routing each join to that owner and the messages that tell the neighbours; the
 * neighbour sets are computed here with the protocol's own adjacency test (zone.ts,
 * `adjacent`). `plexus sim can` with joins measures the protocol's join at smaller N (can.md
 * gives both).
 */
export interface CanLayout {
  /** zones[i]: node i's zone. */
  readonly zones: ZonePath[]
  /** neighbours[i]: the nodes whose zones abut node i's. */
  readonly neighbours: number[][]
}

/**
 * `ids[i]` is node i's protocol id, the tie-break among equally large neighbours (by index
 * when not given).
 */
export function buildCanLayout(
  nodes: number,
  config: CanConfig,
  random: Random,
  ids?: readonly string[],
): CanLayout {
  const dims = config.dims
  const owner = new Map<ZonePath, number>([['', 0]])
  const zones: ZonePath[] = ['']
  const before = (a: number, b: number): boolean =>
    ids === undefined ? a < b : (ids[a] as string) < (ids[b] as string)
  const bitOf = (point: Point, depth: number): string => {
    const x = point[depth % dims] as number
    const j = Math.floor(depth / dims)
    return Math.floor(x * 2 ** (j + 1)) % 2 === 1 ? '1' : '0'
  }
  for (let i = 1; i < nodes; i++) {
    const point = randomPoint(random, config)
    let path = ''
    while (!owner.has(path)) path += bitOf(point, path.length)
    let holder = owner.get(path) as number
    if (config.uniformPartitioning) {
      // The owner's neighbour with the largest zone splits when it is larger than the owner's.
      let depth = path.length
      for (const j of facing(path, holder, owner, dims)) {
        const d = (zones[j] as ZonePath).length
        if (d < depth || (d === depth && holder !== owner.get(path) && before(j, holder))) {
          holder = j
          depth = d
        }
      }
    }
    const zone = zones[holder] as ZonePath
    const given = halfFor(zone, dims, point)
    owner.delete(zone)
    owner.set(buddyOf(given), holder)
    owner.set(given, i)
    zones[holder] = buddyOf(given)
    zones[i] = given
  }
  const neighbours = zones.map((zone, i) => facing(zone, i, owner, dims))
  return { zones, neighbours }
}

/**
 * The owners of the zones across each face of `zone` (both sides of every dimension, the torus
 * wrap included): a descent of the split tree into the subtrees that touch the face.
 */
function facing(
  zone: ZonePath,
  self: number,
  owner: Map<ZonePath, number>,
  dims: number,
): number[] {
  const box = boxOf(zone, dims)
  const found = new Set<number>()
  for (let k = 0; k < dims; k++) {
    const lowSide = (box.lo[k] as number) === 0 ? 1 : (box.lo[k] as number)
    const highSide = (box.hi[k] as number) === 1 ? 0 : (box.hi[k] as number)
    for (const side of [0, 1]) {
      const touches = (lo: number, hi: number): boolean =>
        side === 0 ? lo < lowSide && lowSide <= hi : lo <= highSide && highSide < hi
      const walk = (path: ZonePath, lo: number[], size: number[]): void => {
        const at = owner.get(path)
        if (at !== undefined) {
          if (at !== self && adjacent(zone, path, dims)) found.add(at)
          return
        }
        const split = path.length % dims
        const half = (size[split] as number) / 2
        for (const bit of [0, 1]) {
          const childLo = [...lo]
          const childSize = [...size]
          childLo[split] = (lo[split] as number) + bit * half
          childSize[split] = half
          let fits = true
          for (let j = 0; j < dims && fits; j++) {
            const l = childLo[j] as number
            const h = l + (childSize[j] as number)
            fits =
              j === k
                ? touches(l, h)
                : Math.max(l, box.lo[j] as number) < Math.min(h, box.hi[j] as number)
          }
          if (fits) walk(path + String(bit), childLo, childSize)
        }
      }
      walk('', new Array<number>(dims).fill(0), new Array<number>(dims).fill(1))
    }
  }
  return [...found]
}

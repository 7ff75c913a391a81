import type { Random } from '../../core/random.js'
import {
  adjacent,
  boxOf,
  randomPoint,
  type CanConfig,
  type Point,
  type ZonePath,
} from '../../protocols/can/index.js'

/**
 * CAN's zones and neighbour sets built centrally, for runs too large for every node to route
 * its join through the overlay in the time given (as Chord's `--join 0`). The zones are the
 * ones CAN's join makes when the nodes join one after another, each at a random point: the
 * owner of the point halves its zone along the next dimension in turn and the newcomer takes
 * the half holding the point (membership.ts, `onJoin`). What is skipped is routing each join
 * to that owner and the messages that tell the neighbours; the neighbour sets are computed
 * here with the protocol's own adjacency test (zone.ts, `adjacent`). `plexus sim can` with
 * joins measures the protocol's join at smaller N (can.md gives both).
 */
export interface CanLayout {
  /** zones[i]: node i's zone. */
  readonly zones: ZonePath[]
  /** neighbours[i]: the nodes whose zones abut node i's. */
  readonly neighbours: number[][]
}

export function buildCanLayout(nodes: number, config: CanConfig, random: Random): CanLayout {
  const dims = config.dims
  const owner = new Map<ZonePath, number>([['', 0]])
  const zones: ZonePath[] = ['']
  const bitOf = (point: Point, depth: number): string => {
    const x = point[depth % dims] as number
    const j = Math.floor(depth / dims)
    return Math.floor(x * 2 ** (j + 1)) % 2 === 1 ? '1' : '0'
  }
  for (let i = 1; i < nodes; i++) {
    const point = randomPoint(random, config)
    let path = ''
    while (!owner.has(path)) path += bitOf(point, path.length)
    const holder = owner.get(path) as number
    const given = path + bitOf(point, path.length)
    const kept = path + (given.endsWith('1') ? '0' : '1')
    owner.delete(path)
    owner.set(kept, holder)
    owner.set(given, i)
    zones[holder] = kept
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

/**
 * CAN zones as paths in the split tree. The space is the unit d-torus [0,1)^d. A zone is the
 * string of split decisions that made it: at depth i the parent is halved along dimension
 * i mod d ("dimensions in turn", as in the paper), '0' keeping the lower half and '1' the
 * upper. The whole space is ''. Paths make the paper's bookkeeping exact and cheap: a zone's
 * buddy is its path with the last bit flipped, two buddies merge into their parent, and a
 * set of zones tiles the space iff no path is a prefix of another and the volumes 2^-depth
 * sum to 1 (dyadic numbers, exact in doubles up to depth 53).
 */
export type ZonePath = string
/** Unit coordinates, one per dimension, each in [0, 1). */
export type Point = readonly number[]

export interface Box {
  readonly lo: readonly number[]
  readonly hi: readonly number[]
}

/**
 * Boxes by dimension count and path, memoised: routing and neighbour upkeep ask for the same
 * few zones' boxes at every hop and every update (a box is never modified once made).
 */
const boxes = [new Map<ZonePath, Box>()]
export function boxOf(path: ZonePath, dims: number): Box {
  let cache = boxes[dims]
  if (cache === undefined) {
    cache = new Map()
    boxes[dims] = cache
  }
  let box = cache.get(path)
  if (box === undefined) {
    if (cache.size >= 1 << 18) cache.clear()
    box = makeBox(path, dims)
    cache.set(path, box)
  }
  return box
}

function makeBox(path: ZonePath, dims: number): Box {
  const lo = new Array<number>(dims).fill(0)
  const size = new Array<number>(dims).fill(1)
  for (let i = 0; i < path.length; i++) {
    const k = i % dims
    size[k] = (size[k] as number) / 2
    if (path.charCodeAt(i) === 49) lo[k] = (lo[k] as number) + (size[k] as number)
  }
  return { lo, hi: lo.map((l, k) => l + (size[k] as number)) }
}

export function contains(path: ZonePath, dims: number, point: Point): boolean {
  const { lo, hi } = boxOf(path, dims)
  for (let k = 0; k < dims; k++) {
    const x = point[k] as number
    if (x < (lo[k] as number) || x >= (hi[k] as number)) return false
  }
  return true
}

export const volumeOf = (path: ZonePath): number => 2 ** -path.length
/** The largest (shallowest) of `paths`, the first on a tie; undefined for none. */
export function largestOf(paths: readonly ZonePath[]): ZonePath | undefined {
  let best: ZonePath | undefined
  for (const p of paths) if (best === undefined || p.length < best.length) best = p
  return best
}
export const splitOf = (path: ZonePath): [ZonePath, ZonePath] => [path + '0', path + '1']
export const parentOf = (path: ZonePath): ZonePath => path.slice(0, -1)
export const buddyOf = (path: ZonePath): ZonePath =>
  path.length === 0 ? path : path.slice(0, -1) + (path.endsWith('0') ? '1' : '0')

/** Distance between two coordinates on the unit circle. */
const ring = (a: number, b: number): number => {
  const d = Math.abs(a - b)
  return Math.min(d, 1 - d)
}

/** Squared torus distance from `point` to the nearest point of the zone (0 inside it). */
export function distanceToZone(path: ZonePath, dims: number, point: Point): number {
  const { lo, hi } = boxOf(path, dims)
  let sum = 0
  for (let k = 0; k < dims; k++) {
    const x = point[k] as number
    const l = lo[k] as number
    const h = hi[k] as number
    if (x >= l && x < h) continue
    const d = Math.min(ring(x, l), ring(x, h))
    sum += d * d
  }
  return sum
}

/**
 * The half of `zone` a newcomer joining at `point` takes when `zone` splits: the half holding
 * the point, or, when uniform partitioning made a neighbour split a zone that does not hold
 * it, the half nearer to it (ties: the lower half).
 */
export function halfFor(zone: ZonePath, dims: number, point: Point): ZonePath {
  const [low, high] = splitOf(zone)
  // Containment first: a point on the split line is 0 away from both boxes (closed distance).
  if (contains(high, dims, point)) return high
  if (contains(low, dims, point)) return low
  return distanceToZone(high, dims, point) < distanceToZone(low, dims, point) ? high : low
}

/** Squared torus distance from `point` to the zone's centre (the tie-break of greedy routing). */
export function distanceToCentre(path: ZonePath, dims: number, point: Point): number {
  const { lo, hi } = boxOf(path, dims)
  let sum = 0
  for (let k = 0; k < dims; k++) {
    const d = ring(point[k] as number, ((lo[k] as number) + (hi[k] as number)) / 2)
    sum += d * d
  }
  return sum
}

/**
 * Two zones are neighbours when their boxes overlap (with positive length) along d - 1
 * dimensions and abut along exactly one, the torus wrap included (the paper's definition).
 */
export function adjacent(a: ZonePath, b: ZonePath, dims: number): boolean {
  const x = boxOf(a, dims)
  const y = boxOf(b, dims)
  let touching = 0
  for (let k = 0; k < dims; k++) {
    const la = x.lo[k] as number
    const ha = x.hi[k] as number
    const lb = y.lo[k] as number
    const hb = y.hi[k] as number
    if (Math.max(la, lb) < Math.min(ha, hb)) continue
    const touch = ha === lb || hb === la || (ha === 1 && lb === 0) || (hb === 1 && la === 0)
    if (!touch) return false
    touching++
  }
  return touching === 1
}

export function anyAdjacent(
  mine: readonly ZonePath[],
  theirs: readonly ZonePath[],
  dims: number,
): boolean {
  for (const a of mine) for (const b of theirs) if (adjacent(a, b, dims)) return true
  return false
}

/** One zone is the other or contains it (one path is a prefix of the other). */
export function overlapping(a: ZonePath, b: ZonePath): boolean {
  return a.startsWith(b) || b.startsWith(a)
}

/**
 * `zone` without its descendant `part`: the siblings along the path from `zone` down to
 * `part`, one per split (so `part.length - zone.length` zones), which with `part` tile `zone`.
 */
export function carveOut(zone: ZonePath, part: ZonePath): ZonePath[] {
  if (!part.startsWith(zone) || part === zone) throw new RangeError('carveOut: not a descendant')
  const rest: ZonePath[] = []
  for (let i = zone.length; i < part.length; i++) rest.push(buddyOf(part.slice(0, i + 1)))
  return rest
}

/** Problems with a set of zones meant to tile the space: overlaps (prefixes) and gaps. */
export function tilingProblems(paths: readonly ZonePath[]): string[] {
  const problems: string[] = []
  const sorted = [...paths].sort()
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1] as string
    const b = sorted[i] as string
    if (b.startsWith(a)) problems.push(`zone '${a}' overlaps '${b}'`)
  }
  const total = paths.reduce((sum, p) => sum + volumeOf(p), 0)
  if (total !== 1 && problems.length === 0) problems.push(`zones cover ${total} of the space`)
  return problems
}

import {
  adjacent,
  boxOf,
  contains,
  distanceToZone,
  splitOf,
  type ZonePath,
} from '../../../protocols/can/zone.js'
import { RingOracle } from '../../../protocols/chord/oracle.js'
import { Ring } from '../../../protocols/chord/ring.js'
import { ChordTestNet } from '../../../protocols/chord/test-net.js'
import { escapeXml, fixed } from '../svg-bars.js'

/**
 * The lectures' worked examples, run through the real code and drawn: the 4-bit Chord ring
 * (peers 1, 3, 4, 5, 8, 10, 12, 14) with node 1's fingers and its lookup of key 14; the 8 x 8
 * CAN of CS162 slides 23.32-23.38 built with the CAN zone code (split in half, dimensions in
 * turn, the newcomer taking the half that holds its point); the range-partitioned hash space
 * of the Kurose-Ross DHT slides.
 */
export const LECTURE_PEERS = [1, 3, 4, 5, 8, 10, 12, 14]

export interface ChordExample {
  readonly fingersOf1: number[]
  readonly lookupHopsWithFingers: number[]
  readonly lookupHopsBySuccessors: number[]
  readonly ownerOf13: number
  readonly ownerOf15: number
}

/** Node 1 looks up key 14 with fingers and along successors, on a stabilized ChordNode ring. */
export function chordExample(): ChordExample {
  const ring = new Ring(4)
  const net = new ChordTestNet({ bits: 4, successors: 3, replicas: 1 })
  const nodes = LECTURE_PEERS.map((p) => net.add(p, BigInt(p)))
  const oracle = new RingOracle(
    ring,
    nodes.map((n) => n.self),
  )
  for (const n of nodes) n.adoptState(oracle.stateOf(n.self.id, 3))
  const key = ring.toBytes(14n)
  const fast = net.node(1).lookup(net.now, key)
  const slow = net.node(1).lookupBySuccessors(net.now, key)
  net.run(500)
  const hops = (handle: number): number[] =>
    (net.done(1, handle)?.trace.hops ?? []).map((h) => Number.parseInt(h.id ?? '', 16))
  return {
    fingersOf1: net.node(1).fingers.map((f) => Number(f?.id ?? -1n)),
    lookupHopsWithFingers: hops(fast),
    lookupHopsBySuccessors: hops(slow),
    ownerOf13: Number(oracle.successor(13n).id),
    ownerOf15: Number(oracle.successor(15n).id),
  }
}

export function chordRingSvg(example: ChordExample): string {
  const size = 380
  const c = size / 2
  const radius = 140
  const at = (id: number, r = radius): [number, number] => {
    const angle = (id / 16) * 2 * Math.PI - Math.PI / 2
    return [c + r * Math.cos(angle), c + 20 + r * Math.sin(angle)]
  }
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size + 380}" height="${size + 40}" ` +
      `viewBox="0 0 ${size + 380} ${size + 40}" font-family="sans-serif" font-size="12" role="img">`,
    `<text x="10" y="18" font-size="14">4-bit Chord ring: node 1's fingers (blue), its lookup of key 14 (red)</text>`,
    `<circle cx="${c}" cy="${c + 20}" r="${radius}" fill="none" stroke="#999"/>`,
  ]
  for (let id = 0; id < 16; id++) {
    const [x, y] = at(id)
    const peer = LECTURE_PEERS.includes(id)
    const [lx, ly] = at(id, radius + 18)
    out.push(
      `<circle cx="${fixed(x)}" cy="${fixed(y)}" r="${peer ? 9 : 3}" fill="${peer ? '#fff' : '#bbb'}" stroke="#333"/>`,
      `<text x="${fixed(lx)}" y="${fixed(ly + 4)}" text-anchor="middle"${peer ? ' font-weight="bold"' : ''}>${id}</text>`,
    )
  }
  const chord = (from: number, to: number, colour: string, dash: boolean): string => {
    const [x1, y1] = at(from, radius - 10)
    const [x2, y2] = at(to, radius - 10)
    return (
      `<line x1="${fixed(x1)}" y1="${fixed(y1)}" x2="${fixed(x2)}" y2="${fixed(y2)}" ` +
      `stroke="${colour}" stroke-width="2"${dash ? ' stroke-dasharray="5 3"' : ''}/>`
    )
  }
  for (const finger of new Set(example.fingersOf1)) out.push(chord(1, finger, '#0072b2', true))
  let from = 1
  for (const hop of example.lookupHopsWithFingers) {
    out.push(chord(from, hop, '#c00', false))
    from = hop
  }
  const legend = [
    `peers: ${LECTURE_PEERS.join(', ')}`,
    `node 1 fingers (1+1, 1+2, 1+4, 1+8): ${example.fingersOf1.join(', ')}`,
    `lookup(14) from 1 with fingers: ${[1, ...example.lookupHopsWithFingers].join(' -> ')}`,
    `  ${example.lookupHopsWithFingers.length} messages`,
    `along successors: ${example.lookupHopsBySuccessors.length} messages`,
    `key 13 -> peer ${example.ownerOf13}, key 15 -> peer ${example.ownerOf15}`,
  ]
  legend.forEach((line, i) =>
    out.push(`<text x="${size + 4}" y="${60 + i * 18}">${escapeXml(line)}</text>`),
  )
  out.push('</svg>')
  return out.join('\n')
}

export interface CanExample {
  readonly zones: readonly { readonly node: string; readonly zone: ZonePath }[]
  readonly itemOwners: readonly { readonly item: string; readonly node: string }[]
  /** Greedy route of n1's query for f4, node by node. */
  readonly route: readonly string[]
}

const SIDE = 8
const CAN_NODES: readonly [string, number, number][] = [
  ['n1', 1, 2],
  ['n2', 4, 2],
  ['n3', 3, 5],
  ['n4', 5, 5],
  ['n5', 6, 6],
]
const CAN_ITEMS: readonly [string, number, number][] = [
  ['f1', 2, 3],
  ['f2', 5, 0],
  ['f3', 2, 1],
  ['f4', 7, 5],
]

/** The cell's centre, so that a point on a zone boundary falls in the zone it starts. */
const unit = (x: number, y: number): [number, number] => [(x + 0.5) / SIDE, (y + 0.5) / SIDE]

export function canExample(): CanExample {
  const zones = new Map<string, ZonePath>()
  for (const [name, x, y] of CAN_NODES) {
    const point = unit(x, y)
    const owner = [...zones.entries()].find(([, zone]) => contains(zone, 2, point))
    if (owner === undefined) {
      zones.set(name, '')
      continue
    }
    const [low, high] = splitOf(owner[1])
    const mine = contains(high, 2, point) ? high : low
    zones.set(owner[0], mine === high ? low : high)
    zones.set(name, mine)
  }
  const ownerOf = (x: number, y: number): string =>
    (
      [...zones.entries()].find(([, zone]) => contains(zone, 2, unit(x, y))) as [string, ZonePath]
    )[0]
  const [, fx, fy] = CAN_ITEMS[3] as [string, number, number]
  const target = unit(fx, fy)
  const route = ['n1']
  let at = 'n1'
  while (!contains(zones.get(at) as ZonePath, 2, target) && route.length < 10) {
    const here = zones.get(at) as ZonePath
    const next = [...zones.entries()]
      .filter(([name, zone]) => name !== at && adjacent(here, zone, 2))
      .sort(
        (a, b) =>
          distanceToZone(a[1], 2, target) - distanceToZone(b[1], 2, target) ||
          (a[0] < b[0] ? -1 : 1),
      )[0]
    if (next === undefined) break
    at = next[0]
    route.push(at)
  }
  return {
    zones: [...zones.entries()].map(([node, zone]) => ({ node, zone })),
    itemOwners: CAN_ITEMS.map(([item, x, y]) => ({ item, node: ownerOf(x, y) })),
    route,
  }
}

export function canGridSvg(example: CanExample): string {
  const cell = 40
  const left = 30
  const top = 40
  const px = (x: number): number => left + x * cell
  const py = (y: number): number => top + (SIDE - y) * cell
  const width = left + SIDE * cell + 420
  const height = top + SIDE * cell + 30
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12" role="img">`,
    `<text x="10" y="20" font-size="14">CAN, 8 x 8 space: zones after n1..n5 join; n1's query for f4 (red)</text>`,
  ]
  const fills = ['#e8f1fa', '#fdf1dc', '#e3f4ee', '#f6e6f0', '#fbe7dc']
  example.zones.forEach(({ node, zone }, i) => {
    const box = boxOf(zone, 2)
    const x0 = px((box.lo[0] as number) * SIDE)
    const x1 = px((box.hi[0] as number) * SIDE)
    const y0 = py((box.hi[1] as number) * SIDE)
    const y1 = py((box.lo[1] as number) * SIDE)
    out.push(
      `<rect x="${fixed(x0)}" y="${fixed(y0)}" width="${fixed(x1 - x0)}" height="${fixed(y1 - y0)}" ` +
        `fill="${fills[i % fills.length] as string}" stroke="#333"/>`,
      `<text x="${fixed(x0 + 4)}" y="${fixed(y0 + 14)}" fill="#555">${node} zone</text>`,
    )
  })
  const dot = (x: number, y: number): [number, number] => [px(x + 0.5), py(y + 0.5)]
  for (const [name, x, y] of CAN_NODES) {
    const [cx, cy] = dot(x, y)
    out.push(
      `<circle cx="${fixed(cx)}" cy="${fixed(cy)}" r="6" fill="#0072b2"/>`,
      `<text x="${fixed(cx + 8)}" y="${fixed(cy + 4)}">${name} (${x},${y})</text>`,
    )
  }
  for (const [name, x, y] of CAN_ITEMS) {
    const [cx, cy] = dot(x, y)
    out.push(
      `<rect x="${fixed(cx - 5)}" y="${fixed(cy - 5)}" width="10" height="10" fill="#e69f00"/>`,
      `<text x="${fixed(cx + 8)}" y="${fixed(cy + 4)}">${name} (${x},${y})</text>`,
    )
  }
  const centre = (node: string): [number, number] => {
    const box = boxOf(example.zones.find((z) => z.node === node)?.zone ?? '', 2)
    return [
      px((((box.lo[0] as number) + (box.hi[0] as number)) / 2) * SIDE),
      py((((box.lo[1] as number) + (box.hi[1] as number)) / 2) * SIDE),
    ]
  }
  // A hop across the torus seam (x = 0 / 8) leaves one edge and comes back at the other.
  const edgeLeft = px(0)
  const edgeRight = px(SIDE)
  for (let i = 1; i < example.route.length; i++) {
    const [x1, y1] = centre(example.route[i - 1] as string)
    const [x2, y2] = centre(example.route[i] as string)
    const segments: [number, number, number, number][] =
      Math.abs(x2 - x1) > (SIDE * cell) / 2
        ? x1 < x2
          ? [
              [x1, y1, edgeLeft, y1],
              [edgeRight, y2, x2, y2],
            ]
          : [
              [x1, y1, edgeRight, y1],
              [edgeLeft, y2, x2, y2],
            ]
        : [[x1, y1, x2, y2]]
    for (const [a, b, c, d] of segments) {
      out.push(
        `<line x1="${fixed(a)}" y1="${fixed(b)}" x2="${fixed(c)}" y2="${fixed(d)}" stroke="#c00" stroke-width="3"/>`,
      )
    }
  }
  const legend = [
    ...example.itemOwners.map((o) => `${o.item} stored at ${o.node}`),
    `route of n1's query for f4: ${example.route.join(' -> ')}`,
    'the space is a torus: x = 8 meets x = 0',
  ]
  legend.forEach((line, i) =>
    out.push(`<text x="${left + SIDE * cell + 80}" y="${60 + i * 18}">${escapeXml(line)}</text>`),
  )
  out.push('</svg>')
  return out.join('\n')
}

/** The Kurose-Ross slide's ranges of the hash space 0-9999, and h("NGC'02 Tutorial Notes"). */
export const HASH_RANGES: readonly [number, number][] = [
  [0, 999],
  [1000, 1999],
  [1500, 4999],
  [4500, 6999],
  [7000, 8500],
  [8000, 8999],
  [9000, 9500],
  [9500, 9999],
]
export const HASHED_KEY = 8045

export function coveringRanges(key: number): [number, number][] {
  return HASH_RANGES.filter(([lo, hi]) => key >= lo && key <= hi)
}

export function hashRangesSvg(): string {
  const left = 110
  const plot = 520
  const row = 22
  const top = 40
  const x = (v: number): number => left + (v / 10_000) * plot
  const height = top + HASH_RANGES.length * row + 40
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${left + plot + 40}" height="${height}" ` +
      `viewBox="0 0 ${left + plot + 40} ${height}" font-family="sans-serif" font-size="12" role="img">`,
    `<text x="10" y="20" font-size="14">Hash space 0-9999 partitioned among nodes; key 8045 (red) and the ranges that cover it</text>`,
  ]
  const covering = coveringRanges(HASHED_KEY)
  HASH_RANGES.forEach(([lo, hi], i) => {
    const y = top + i * row
    const hit = covering.some(([a, b]) => a === lo && b === hi)
    out.push(
      `<text x="${left - 8}" y="${y + 14}" text-anchor="end">${lo}-${hi}</text>`,
      `<rect x="${fixed(x(lo))}" y="${y + 3}" width="${fixed(x(hi + 1) - x(lo))}" height="${row - 8}" ` +
        `fill="${hit ? '#e69f00' : '#56b4e9'}" stroke="#333"/>`,
    )
  })
  const kx = fixed(x(HASHED_KEY))
  const bottom = top + HASH_RANGES.length * row
  out.push(
    `<line x1="${kx}" y1="${top - 4}" x2="${kx}" y2="${bottom + 4}" stroke="#c00" stroke-width="2"/>`,
    `<text x="${kx}" y="${bottom + 20}" text-anchor="middle" fill="#c00">8045</text>`,
    '</svg>',
  )
  return out.join('\n')
}

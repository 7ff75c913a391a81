import type { Random } from '../core/random.js'
import { assert } from '../core/errors.js'

/**
 * One-way latency between two hosts, pluggable. Datagrams draw a latency per packet (so a
 * model with jitter reorders them, as UDP may); a stream draws one per direction when it opens,
 * which keeps its bytes in order.
 */

/** A host's position in the world: 0 for the first host added, then 1, 2, ... */
export type HostIndex = number

export interface LatencyModel {
  /** One-way latency in milliseconds from `from` to `to`; `random` is the sender's stream. */
  latencyMs(from: HostIndex, to: HostIndex, random: Random): number
}

export function constantLatency(milliseconds: number): LatencyModel {
  assert(milliseconds >= 0 && Number.isFinite(milliseconds), `bad latency ${milliseconds}`)
  return { latencyMs: () => milliseconds }
}

/** Uniform in [minMs, maxMs), drawn afresh for every packet or stream. */
export function uniformLatency(minMs: number, maxMs: number): LatencyModel {
  assert(minMs >= 0 && maxMs >= minMs && Number.isFinite(maxMs), `bad range ${minMs}..${maxMs}`)
  const span = maxMs - minMs
  return { latencyMs: (_from, _to, random) => minMs + span * random.float() }
}

export interface PlaneLatencyOptions {
  /** Latency between two hosts at the same point. */
  readonly baseMs: number
  /** Added per unit of Euclidean distance. */
  readonly msPerUnit: number
  /** Points are uniform in [0, width) x [0, width). Default 100. */
  readonly width?: number
  /** The stream the points are drawn from, in host index order. */
  readonly random: Random
}

/** A plane model that also tells where each host sits, for plots and tests. */
export interface PlaneLatencyModel extends LatencyModel {
  point(host: HostIndex): { readonly x: number; readonly y: number }
}

/** Host indexes beyond this are a bug; points are generated densely up to the index asked. */
const PLANE_HOSTS_MAX = 1 << 24

/**
 * Hosts are points in a plane and latency grows with distance, a cheap stand-in for geography
 * (Vivaldi-style coordinates). Points are drawn in index order whatever order they are asked
 * for, so a host's point depends only on the seed and its index.
 */
export function planeLatency(options: PlaneLatencyOptions): PlaneLatencyModel {
  const { baseMs, msPerUnit, random } = options
  const width = options.width ?? 100
  assert(baseMs >= 0 && msPerUnit >= 0 && width > 0, 'bad plane latency options')
  let xs = new Float64Array(0)
  let ys = new Float64Array(0)
  let generated = 0
  const ensure = (host: HostIndex): void => {
    if (host < generated) return
    assert(host < PLANE_HOSTS_MAX && Number.isInteger(host) && host >= 0, `bad host ${host}`)
    if (host >= xs.length) {
      const capacity = Math.max(1024, xs.length * 2, host + 1)
      const grownX = new Float64Array(capacity)
      const grownY = new Float64Array(capacity)
      grownX.set(xs)
      grownY.set(ys)
      xs = grownX
      ys = grownY
    }
    for (; generated <= host; generated++) {
      xs[generated] = random.float() * width
      ys[generated] = random.float() * width
    }
  }
  return {
    latencyMs(from, to) {
      ensure(from > to ? from : to)
      const dx = (xs[from] as number) - (xs[to] as number)
      const dy = (ys[from] as number) - (ys[to] as number)
      return baseMs + Math.sqrt(dx * dx + dy * dy) * msPerUnit
    },
    point(host) {
      ensure(host)
      return { x: xs[host] as number, y: ys[host] as number }
    },
  }
}

/** A square matrix of one-way latencies in ms, row = sender, column = receiver. */
export interface LatencyMatrix {
  readonly size: number
  /** Row-major, `size * size` entries. */
  readonly values: Float64Array
}

/** Matrices larger than this (rows) are refused: 4096^2 doubles is already 128 MiB. */
export const LATENCY_MATRIX_ROWS_MAX = 4096

/**
 * Parses a whitespace-separated N x N matrix of milliseconds, one row per line. Blank lines and
 * lines starting with `#` are skipped. Returns a message instead of throwing on bad input,
 * because the text usually comes from a file a person wrote.
 */
export function parseLatencyMatrix(text: string): LatencyMatrix | string {
  const rows: number[][] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim()
    if (line === '' || line.startsWith('#')) continue
    if (rows.length >= LATENCY_MATRIX_ROWS_MAX) return `more than ${LATENCY_MATRIX_ROWS_MAX} rows`
    const cells = line.split(/\s+/).map(Number)
    const bad = cells.findIndex((value) => !Number.isFinite(value) || value < 0)
    if (bad !== -1) return `line ${i + 1}: cell ${bad + 1} is not a non-negative number`
    rows.push(cells)
  }
  if (rows.length === 0) return 'empty matrix'
  const size = rows.length
  const values = new Float64Array(size * size)
  for (let r = 0; r < size; r++) {
    const row = rows[r] as number[]
    if (row.length !== size) return `row ${r + 1} has ${row.length} cells, expected ${size}`
    values.set(row, r * size)
  }
  return { size, values }
}

/**
 * Latency from a measured matrix (King, PlanetLab-style data). `rowOf` maps a host to its row;
 * by default host i uses row i mod N, so a small matrix can serve a large world.
 */
export function matrixLatency(
  matrix: LatencyMatrix,
  rowOf: (host: HostIndex) => number = (host) => host % matrix.size,
): LatencyModel {
  const { size, values } = matrix
  return {
    latencyMs(from, to) {
      const row = rowOf(from)
      const column = rowOf(to)
      assert(row >= 0 && row < size && column >= 0 && column < size, 'host outside the matrix')
      return values[row * size + column] as number
    },
  }
}

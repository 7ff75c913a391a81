import {
  churnRows,
  failureRowsAt,
  OVERLAYS,
  sizeRow,
  type ChurnRow,
  type FailureRow,
  type OverlayKind,
  type PointSettings,
  type SizeRow,
} from './overlay-compare-run.js'

/**
 * `plexus sim compare` cut into points, each one overlay's run (or one failure fraction, or
 * the churn pair) that needs nothing from the others: so each can run in its own process,
 * its memory returned when it ends, and be kept on disk and not run again (overlay.md). The
 * report assembled from the points is the one a single process gives, row for row.
 */
export type ComparePoint =
  | { readonly part: 'size'; readonly overlay: OverlayKind; readonly nodes: number }
  | { readonly part: 'failure'; readonly fraction: number }
  | { readonly part: 'churn' }

export interface PointRows {
  readonly bySize: readonly SizeRow[]
  readonly failure: readonly FailureRow[]
  readonly churn: readonly ChurnRow[]
}

/** A file-name-safe name, unique within one comparison: `size-chord-100000`, `failure-0.2`. */
export function pointKey(point: ComparePoint): string {
  if (point.part === 'size') return `size-${point.overlay}-${point.nodes}`
  if (point.part === 'failure') return `failure-${point.fraction}`
  return 'churn'
}

/** Every point, in the report's order (sizes, then failures, then churn). */
export function comparePoints(s: PointSettings): ComparePoint[] {
  const points: ComparePoint[] = []
  for (const nodes of s.sizes) {
    for (const overlay of OVERLAYS) points.push({ part: 'size', overlay, nodes })
  }
  for (const fraction of s.failFractions) points.push({ part: 'failure', fraction })
  if (s.churnMedianMinutes > 0) points.push({ part: 'churn' })
  return points
}

export function runPoint(point: ComparePoint, s: PointSettings, seed: number): PointRows {
  if (point.part === 'size') {
    return { bySize: [sizeRow(point.overlay, point.nodes, s, seed)], failure: [], churn: [] }
  }
  if (point.part === 'failure') {
    return { bySize: [], failure: failureRowsAt(point.fraction, s, seed), churn: [] }
  }
  return { bySize: [], failure: [], churn: churnRows(s, seed) }
}

/** Reads a point back from JSON (a child's answer, a kept file); undefined when it is not one. */
export function parsePoint(value: unknown): ComparePoint | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const v = value as Record<string, unknown>
  if (v['part'] === 'churn') return { part: 'churn' }
  if (v['part'] === 'failure' && typeof v['fraction'] === 'number') {
    return { part: 'failure', fraction: v['fraction'] }
  }
  const overlay = OVERLAYS.find((o) => o === v['overlay'])
  const nodes = v['nodes']
  if (v['part'] === 'size' && overlay !== undefined && Number.isInteger(nodes)) {
    return { part: 'size', overlay, nodes: nodes as number }
  }
  return undefined
}

/** The points' rows joined in the points' order. */
export function joinRows(parts: readonly PointRows[]): PointRows {
  return {
    bySize: parts.flatMap((p) => p.bySize),
    failure: parts.flatMap((p) => p.failure),
    churn: parts.flatMap((p) => p.churn),
  }
}

/**
 * The settings a point's rows depend on, and nothing else: a kept point is reused by any later
 * comparison with the same seed and these values (a 3,000-node run's points serve a
 * 100,000-node one).
 */
export function pointInputs(point: ComparePoint, s: PointSettings): Record<string, number> {
  if (point.part === 'size') {
    const central = point.nodes >= (s.centralFrom ?? Infinity) ? 1 : 0
    return point.overlay === 'can'
      ? { lookups: s.lookups, dims: s.dims, central }
      : { lookups: s.lookups, central }
  }
  if (point.part === 'failure') return { lookups: s.lookups, dims: s.dims, failNodes: s.failNodes }
  return {
    lookups: s.lookups,
    failNodes: s.failNodes,
    churnMedianMinutes: s.churnMedianMinutes,
  }
}

/** The number of nodes a point simulates: the order to run them in, the cheapest first. */
export function pointNodes(point: ComparePoint, s: PointSettings): number {
  return point.part === 'size' ? point.nodes : s.failNodes
}

/**
 * The points smallest N first (stable), so a long run that is stopped has done the most
 * points it could, and the failure and churn runs do not wait behind the 100,000-node ones.
 */
export function runOrder(points: readonly ComparePoint[], s: PointSettings): ComparePoint[] {
  return [...points].sort((a, b) => pointNodes(a, s) - pointNodes(b, s))
}

import { defaultsOf, type Params, type RunOptions } from '../scenario.js'
import {
  churnRows,
  failureRows,
  OVERLAYS,
  sizeRows,
  type ChurnRow,
  type CompareSettings,
  type FailureRow,
  type PointSettings,
  type SizeRow,
} from './overlay-compare-run.js'
import type { PointRows } from './overlay-compare-points.js'
import { lineChart, type ChartSeries } from './overlay-compare-svg.js'

/**
 * `plexus sim compare`: Chord, Pastry, CAN and Kademlia on the same workload. For each N from
 * `minNodes` to `maxNodes` (100, 300, 1k, 3k, 10k, 30k, 100k) the mean lookup hops against
 * each paper's curve, the routing state and the maintenance traffic per node; then the Chord
 * paper's experiment (a fraction p of `failNodes` crash at once: success right after, and after
 * healing); then lookups under churn. With `--compare --out DIR` it writes the table
 * (compare.md, compare.json) and the plots (hops.svg, state.svg, failure.svg).
 */
const PARAMS = {
  minNodes: { kind: 'integer', min: 16, max: 100_000, default: 100, describe: 'smallest N' },
  maxNodes: { kind: 'integer', min: 16, max: 100_000, default: 10_000, describe: 'largest N' },
  lookups: { kind: 'integer', min: 10, max: 100_000, default: 300, describe: 'lookups a run' },
  dims: { kind: 'integer', min: 1, max: 8, default: 2, describe: 'CAN dimensions d' },
  failNodes: {
    kind: 'integer',
    min: 16,
    max: 100_000,
    default: 1000,
    describe: 'N of the mass-failure and churn runs',
  },
  failSteps: {
    kind: 'integer',
    min: 0,
    max: 9,
    default: 5,
    describe: 'mass failures of p = 0.1, 0.2 ... (0: none)',
  },
  churnMedianMinutes: {
    kind: 'number',
    min: 0,
    max: 10_000,
    default: 60,
    describe: 'median session under churn (0: no churn run)',
  },
  centralFrom: {
    kind: 'integer',
    min: 16,
    max: 100_000,
    default: 100_000,
    describe: "N from which Pastry's and CAN's starting state is built centrally",
  },
  jobs: {
    kind: 'integer',
    min: 0,
    max: 16,
    default: 1,
    describe: 'with --out: points run in child processes, this many at once (0: all in this one)',
  },
} as const

type P = Record<keyof typeof PARAMS, number>

const STEPS = [100, 300, 1000, 3000, 10_000, 30_000, 100_000]

export interface CompareReport {
  readonly scenario: 'compare'
  readonly seed: number
  readonly sizes: readonly number[]
  readonly lookups: number
  readonly dims: number
  readonly bySize: readonly SizeRow[]
  readonly failure: readonly FailureRow[]
  readonly churn: readonly ChurnRow[]
}

export function sizesBetween(min: number, max: number): number[] {
  const inside = STEPS.filter((n) => n >= min && n <= max)
  if (!inside.includes(min)) inside.unshift(min)
  if (!inside.includes(max) && max > min) inside.push(max)
  return inside
}

/** The comparison's settings from its parameters (the defaults for those not given). */
export function compareSettings(params: Params): PointSettings & { readonly jobs: number } {
  const p = { ...defaultsOf(PARAMS), ...params } as P
  return {
    sizes: sizesBetween(p.minNodes, Math.max(p.minNodes, p.maxNodes)),
    lookups: p.lookups,
    dims: p.dims,
    failNodes: p.failNodes,
    failFractions: Array.from({ length: p.failSteps }, (_, i) => (i + 1) / 10),
    churnMedianMinutes: p.churnMedianMinutes,
    centralFrom: p.centralFrom,
    jobs: p.jobs,
  }
}

/** The report from its rows (a run here, or points run elsewhere, joined in their order). */
export function compareReport(s: PointSettings, seed: number, rows: PointRows): CompareReport {
  return {
    scenario: 'compare',
    seed,
    sizes: s.sizes,
    lookups: s.lookups,
    dims: s.dims,
    bySize: rows.bySize,
    failure: rows.failure,
    churn: rows.churn,
  }
}

/** Every point in this process, one after another. */
export function runCompare(params: Params, seed: number, options: RunOptions = {}): CompareReport {
  const { jobs: _jobs, ...points } = compareSettings(params)
  const settings: CompareSettings = {
    ...points,
    ...(options.progress === undefined ? {} : { progress: options.progress }),
  }
  const bySize: SizeRow[] = []
  for (const n of settings.sizes) {
    options.progress?.(`N = ${n}`)
    bySize.push(...sizeRows(n, settings, seed))
  }
  return compareReport(settings, seed, {
    bySize,
    failure: failureRows(settings, seed),
    churn: churnWithProgress(settings, seed),
  })
}

function churnWithProgress(s: CompareSettings, seed: number): ChurnRow[] {
  if (s.churnMedianMinutes > 0) s.progress?.(`churn, ${s.churnMedianMinutes} min median session`)
  return churnRows(s, seed)
}

const pct = (v: number): string => `${(v * 100).toFixed(1)} %`

export function compareTable(r: CompareReport): string[] {
  const lines = [
    `| overlay | N | built by | mean hops | paper's curve | ratio | success | state/node | maintenance/node/min |`,
    `|---|---:|---|---:|---:|---:|---:|---:|---:|`,
  ]
  for (const row of r.bySize) {
    const curve =
      row.overlay === 'chord'
        ? '½ log2 N'
        : row.overlay === 'pastry'
          ? 'log16 N'
          : row.overlay === 'can'
            ? `(d/4) N^(1/d), d = ${r.dims}`
            : 'log2 N'
    lines.push(
      `| ${row.overlay} | ${row.nodes} | ${row.builtBy} | ${row.hops} | ${row.expected} (${curve}) | ` +
        `${(row.hops / row.expected).toFixed(2)} | ${pct(row.successRate)} | ${row.statePerNode} | ` +
        `${row.maintenancePerNodePerMinute} ${row.maintenanceUnit} |`,
    )
  }
  if (r.failure.length > 0) {
    lines.push(
      '',
      '| overlay | failed fraction p | success after the failure | measured | after healing |',
    )
    lines.push('|---|---:|---:|---|---:|')
    for (const f of r.failure) {
      const healed = f.successAfterHealing === undefined ? '—' : pct(f.successAfterHealing)
      lines.push(
        `| ${f.overlay} | ${f.fraction} | ${pct(f.successAfterFailure)} | ${f.measured} | ${healed} |`,
      )
    }
  }
  if (r.churn.length > 0) {
    lines.push('', '| overlay | N | median session | success | mean hops | latency p50 |')
    lines.push('|---|---:|---:|---:|---:|---:|')
    for (const c of r.churn) {
      const latency = c.latencyP50Ms === undefined ? '—' : `${c.latencyP50Ms} ms`
      lines.push(
        `| ${c.overlay} | ${c.nodes} | ${c.medianSessionMinutes} min | ${pct(c.successRate)} | ` +
          `${c.hops} | ${latency} |`,
      )
    }
  }
  return lines
}

const COLOURS: Readonly<Record<string, string>> = {
  chord: '#0072b2',
  pastry: '#009e73',
  can: '#d55e00',
  kademlia: '#cc79a7',
}

export function compareCharts(r: CompareReport): Record<string, string> {
  const of = (overlay: string, pick: (row: SizeRow) => number): [number, number][] =>
    r.bySize.filter((row) => row.overlay === overlay).map((row) => [row.nodes, pick(row)])
  const hopSeries: ChartSeries[] = OVERLAYS.flatMap((o) => [
    { name: `${o} measured`, colour: COLOURS[o] as string, points: of(o, (row) => row.hops) },
    {
      name: `${o} paper`,
      colour: COLOURS[o] as string,
      dashed: true,
      points: of(o, (row) => row.expected),
    },
  ])
  const failureSeries: ChartSeries[] = (['chord', 'pastry', 'can'] as const).map((o) => ({
    name: o === 'chord' ? 'chord right after' : `${o} after repair`,
    colour: COLOURS[o] as string,
    points: r.failure
      .filter((f) => f.overlay === o)
      .map((f): [number, number] => [f.fraction, f.successAfterFailure]),
  }))
  const healed = r.failure.filter((f) => f.successAfterHealing !== undefined)
  if (healed.length > 0) {
    failureSeries.push({
      name: 'chord healed',
      colour: COLOURS['chord'] as string,
      dashed: true,
      points: healed.map((f): [number, number] => [f.fraction, f.successAfterHealing ?? 0]),
    })
  }
  return {
    'hops.svg': lineChart({
      title: 'Mean lookup hops vs N (solid: measured; dashed: the paper)',
      xLabel: 'nodes N (log scale)',
      yLabel: 'hops',
      logX: true,
      series: hopSeries,
    }),
    'state.svg': lineChart({
      title: 'Routing state per node vs N',
      xLabel: 'nodes N (log scale)',
      yLabel: 'nodes known',
      logX: true,
      series: OVERLAYS.map((o) => ({
        name: o,
        colour: COLOURS[o] as string,
        points: of(o, (row) => row.statePerNode),
      })),
    }),
    ...(r.failure.length === 0
      ? {}
      : {
          'failure.svg': lineChart({
            title: 'Lookup success after a fraction p of nodes fail at once',
            xLabel: 'failed fraction p',
            yLabel: 'success rate',
            logX: false,
            series: failureSeries,
          }),
        }),
  }
}

export const COMPARE_PARAMS = PARAMS

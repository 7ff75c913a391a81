import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { defaultsOf, type Params, type RunOptions, type Scenario } from '../scenario.js'
import {
  churnRows,
  failureRows,
  OVERLAYS,
  sizeRows,
  type ChurnRow,
  type CompareSettings,
  type FailureRow,
  type SizeRow,
} from './overlay-compare-run.js'
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

export function runCompare(params: Params, seed: number, options: RunOptions = {}): CompareReport {
  const p = { ...defaultsOf(PARAMS), ...params } as P
  const sizes = sizesBetween(p.minNodes, Math.max(p.minNodes, p.maxNodes))
  const settings: CompareSettings = {
    sizes,
    lookups: p.lookups,
    dims: p.dims,
    failNodes: p.failNodes,
    failFractions: Array.from({ length: p.failSteps }, (_, i) => (i + 1) / 10),
    churnMedianMinutes: p.churnMedianMinutes,
    centralFrom: p.centralFrom,
    ...(options.progress === undefined ? {} : { progress: options.progress }),
  }
  const bySize: SizeRow[] = []
  for (const n of sizes) {
    options.progress?.(`N = ${n}`)
    bySize.push(...sizeRows(n, settings, seed))
  }
  return {
    scenario: 'compare',
    seed,
    sizes,
    lookups: p.lookups,
    dims: p.dims,
    bySize,
    failure: failureRows(settings, seed),
    churn: churnRows(settings, seed),
  }
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

function writeFiles(r: CompareReport, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true })
  const table = compareTable(r)
  const heading = `# Structured overlays compared (seed ${r.seed}, ${r.lookups} lookups a run)`
  writeFileSync(join(outDir, 'compare.md'), `${[heading, '', ...table].join('\n')}\n`)
  writeFileSync(join(outDir, 'compare.json'), `${JSON.stringify(r, null, 2)}\n`)
  const charts = compareCharts(r)
  for (const [name, svg] of Object.entries(charts)) writeFileSync(join(outDir, name), svg)
  return ['compare.md', 'compare.json', ...Object.keys(charts)]
}

export const compare: Scenario<CompareReport> = {
  name: 'compare',
  describe:
    'Chord, Pastry, CAN and Kademlia on one workload: hops vs N against each paper, state, ' +
    'maintenance, mass failure, churn (--compare --out DIR writes the table and plots)',
  params: PARAMS,
  defaults: () => defaultsOf(PARAMS),
  problem: (params) =>
    Number(params['maxNodes'] ?? 10_000) < Number(params['minNodes'] ?? 100)
      ? 'maxNodes must be at least minNodes'
      : undefined,
  run: runCompare,
  format: compareTable,
  compare: (given, seed, outDir, options) => {
    const report = runCompare(given, seed, options)
    const files = writeFiles(report, outDir)
    return [...compareTable(report), '', `wrote ${files.map((f) => join(outDir, f)).join(', ')}`]
  },
}

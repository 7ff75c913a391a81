import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { defaultsOf, type Params, type RunOptions, type Scenario } from '../scenario.js'
import {
  COMPARE_PARAMS,
  compareCharts,
  compareReport,
  compareSettings,
  compareTable,
  runCompare,
  type CompareReport,
} from './overlay-compare.js'
import { runPointsInChildren, type PointsOutcome } from './overlay-compare-jobs.js'
import { comparePoints, joinRows } from './overlay-compare-points.js'

/**
 * The `compare` scenario: `plexus sim compare` prints the table; with `--out DIR` it writes
 * the table and plots, each point run in a child process (`--jobs` at once, default 1) and
 * kept under DIR/points/, with what each cost in DIR/cost.md. `--jobs 0` runs every point in
 * this process, as before the points were split.
 */
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

/**
 * What each point cost (user + sys CPU and maximum RSS of its process): wall-clock and CPU
 * figures never enter the seeded report, so they have a file of their own.
 */
export function costTable(outcome: PointsOutcome): string[] {
  const lines = ['| point | CPU (user + sys) | max RSS | this run |', '|---|---:|---:|---|']
  let cpu = 0
  for (const r of outcome.results) {
    cpu += r.cpuSeconds
    const run = r.kept ? 'kept from an earlier run' : 'ran'
    lines.push(`| ${r.key} | ${r.cpuSeconds} s | ${r.maxRssMb} MB | ${run} |`)
  }
  for (const f of outcome.failed) lines.push(`| ${f.key} | — | — | failed: ${f.why} |`)
  lines.push(
    '',
    `Total: ${Math.round(cpu)} CPU-s (${(cpu / 60).toFixed(1)} CPU-min) over the points.`,
  )
  return lines
}

async function compareInChildren(
  given: Params,
  seed: number,
  outDir: string,
  options: RunOptions,
): Promise<string[]> {
  const { jobs, ...settings } = compareSettings(given)
  const points = comparePoints(settings)
  const outcome = await runPointsInChildren(points, settings, seed, {
    jobs,
    keepDir: join(outDir, 'points'),
    progress: options.progress ?? (() => undefined),
  })
  const report = compareReport(settings, seed, joinRows(outcome.results.map((r) => r.rows)))
  const files = writeFiles(report, outDir)
  const cost = costTable(outcome)
  writeFileSync(join(outDir, 'cost.md'), `# What each point cost\n\n${cost.join('\n')}\n`)
  const missing =
    outcome.failed.length === 0
      ? []
      : ['', `missing points (failed): ${outcome.failed.map((f) => f.key).join(', ')}`]
  if (outcome.failed.length > 0) process.exitCode = 1
  const written = [...files, 'cost.md'].map((f) => join(outDir, f)).join(', ')
  return [...compareTable(report), '', ...cost, ...missing, '', `wrote ${written}`]
}

export const compare: Scenario<CompareReport> = {
  name: 'compare',
  describe:
    'Chord, Pastry, CAN and Kademlia on one workload: hops vs N against each paper, state, ' +
    'maintenance, mass failure, churn (--compare --out DIR writes the table and plots)',
  params: COMPARE_PARAMS,
  defaults: () => defaultsOf(COMPARE_PARAMS),
  problem: (params) =>
    Number(params['maxNodes'] ?? 10_000) < Number(params['minNodes'] ?? 100)
      ? 'maxNodes must be at least minNodes'
      : undefined,
  run: runCompare,
  format: compareTable,
  compare: (given, seed, outDir, options = {}) => {
    if (compareSettings(given).jobs >= 1) return compareInChildren(given, seed, outDir, options)
    const report = runCompare(given, seed, options)
    const files = writeFiles(report, outDir)
    return [...compareTable(report), '', `wrote ${files.map((f) => join(outDir, f)).join(', ')}`]
  },
}

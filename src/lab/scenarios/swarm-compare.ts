import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Params, RunOptions } from '../scenario.js'
import { MIB, PICKERS, swarmParams } from './swarm-params.js'
import type { SwarmReport } from './swarm-report.js'
import { runSwarm } from './swarm-run.js'
import { policySvg } from './swarm-svg.js'

/**
 * The policy matrix: piece selection (rarest-first, random, sequential) x optimistic unchoke
 * (on, off) x free riders (0, 20%), on one moderate swarm. Every run uses the same seed and
 * the same other parameters, so rows differ by policy only.
 */
export const COMPARE_DEFAULTS: Params = {
  peers: 100,
  fileSize: 8 * MIB,
  pieceSize: 128 * 1024,
}
export const FREE_RIDER_LEVELS = [0, 0.2] as const

export interface PolicyRow {
  readonly policy: string
  readonly picker: string
  readonly optimisticUnchoke: boolean
  readonly freeRiders: number
  readonly distributionSeconds: number
  readonly lowerBoundSeconds: number
  readonly ratio: number
  readonly meanCompletionSeconds: number
  readonly p90CompletionSeconds: number
  readonly freeRidersDone: number
  readonly seedShare: number
  readonly problems: number
}

export interface PolicyMatrix {
  readonly seed: number
  readonly params: Readonly<Record<string, number>>
  readonly rows: readonly PolicyRow[]
}

/** Runs the matrix; `given` (what the user set) overrides COMPARE_DEFAULTS. */
export function runPolicyMatrix(
  given: Params,
  seed: number,
  options: RunOptions = {},
): PolicyMatrix {
  const base = swarmParams({ ...COMPARE_DEFAULTS, ...given })
  const rows: PolicyRow[] = []
  for (const freeRiders of FREE_RIDER_LEVELS) {
    for (let picker = 0; picker < PICKERS.length; picker++) {
      for (const optimistic of [1, 0]) {
        const params = { ...base, picker, optimistic, freeRiders }
        const report = runSwarm(params, seed)
        rows.push(rowOf(report))
        options.progress?.(`${rowOf(report).policy}: ratio ${report.ratio}`)
      }
    }
  }
  return { seed, params: base, rows }
}

function rowOf(r: SwarmReport): PolicyRow {
  const optimistic = r.policy.optimisticUnchoke ? 'optimistic' : 'no optimistic'
  const free = Math.round((r.policy.freeRiders / r.peers) * 100)
  return {
    policy: `${r.policy.picker}, ${optimistic}, ${free}% free riders`,
    picker: r.policy.picker,
    optimisticUnchoke: r.policy.optimisticUnchoke,
    freeRiders: r.policy.freeRiders,
    distributionSeconds: r.distributionSeconds,
    lowerBoundSeconds: r.lowerBoundSeconds,
    ratio: r.ratio,
    meanCompletionSeconds: r.completionSeconds.mean,
    p90CompletionSeconds: r.completionSeconds.p90,
    freeRidersDone: r.freeRiderCompletion.completed,
    seedShare: r.bytes.seedShare,
    problems: r.problems.length,
  }
}

/** The markdown table (also what the CLI prints). */
export function policyTable(matrix: PolicyMatrix): string[] {
  const lines = [
    '| policy | distribution s | lower bound s | ratio | mean completion s | p90 s | free riders done | seed share |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const r of matrix.rows) {
    const free = r.freeRiders === 0 ? '-' : `${r.freeRidersDone}/${r.freeRiders}`
    const dist = r.distributionSeconds < 0 ? 'did not finish' : String(r.distributionSeconds)
    lines.push(
      `| ${r.policy} | ${dist} | ${r.lowerBoundSeconds} | ${r.ratio} | ` +
        `${r.meanCompletionSeconds} | ${r.p90CompletionSeconds} | ${free} | ${r.seedShare} |`,
    )
  }
  return lines
}

/** Writes policies.json, policies.md and policies.svg into `dir`; returns the table lines. */
export function writePolicyMatrix(matrix: PolicyMatrix, dir: string): string[] {
  mkdirSync(dir, { recursive: true })
  const p = matrix.params
  const table = policyTable(matrix)
  const heading =
    `# Swarm policies: 1 seed + ${p['peers']} leechers, ${(p['fileSize'] as number) / MIB} MiB ` +
    `in ${(p['pieceSize'] as number) / 1024} KiB pieces, seed ${matrix.seed}`
  writeFileSync(join(dir, 'policies.json'), `${JSON.stringify(matrix, null, 2)}\n`)
  writeFileSync(join(dir, 'policies.md'), `${[heading, '', ...table].join('\n')}\n`)
  writeFileSync(join(dir, 'policies.svg'), policySvg(matrix.rows))
  return table
}

/**
 * Runs `plexus sim compare`'s points each in a child process, `jobs` at once: one 100,000-node
 * Kademlia run alone needed most of a 4 GiB heap, and one process running every point kept
 * what each left behind. A point's answer is kept in `keepDir` as `<key>.json` (its rows, its
 * inputs, the seed, its CPU time and maximum RSS), so a comparison that was stopped picks up
 * where it was and a later one reuses the points it shares with it.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SIM_SEMI_SPACE_MB } from '../../cli/sim-heap.js'
import type { PointAnswer, PointJob } from './overlay-compare-child.js'
import type { PointSettings } from './overlay-compare-run.js'
import {
  pointInputs,
  pointKey,
  runOrder,
  type ComparePoint,
  type PointRows,
} from './overlay-compare-points.js'

const CHILD = fileURLToPath(new URL('./overlay-compare-child.js', import.meta.url))

/** A child's old generation: room for a 100,000-node run, under the 8 GiB a run may take here. */
export const CHILD_OLD_SPACE_MB = 7168

export interface PointResult {
  readonly key: string
  readonly rows: PointRows
  readonly cpuSeconds: number
  readonly maxRssMb: number
  /** Read from `keepDir`, not run this time. */
  readonly kept: boolean
}

export interface PointsOutcome {
  /** In the order of the points given; a failed point has none. */
  readonly results: readonly PointResult[]
  readonly failed: readonly { readonly key: string; readonly why: string }[]
}

interface KeptPoint {
  readonly seed: number
  readonly inputs: Record<string, number>
  readonly rows: PointRows
  readonly cpuSeconds: number
  readonly maxRssMb: number
}

function readKept(
  path: string,
  seed: number,
  inputs: Record<string, number>,
): KeptPoint | undefined {
  if (!existsSync(path)) return undefined
  try {
    const kept = JSON.parse(readFileSync(path, 'utf8')) as KeptPoint
    const same = kept.seed === seed && JSON.stringify(kept.inputs) === JSON.stringify(inputs)
    return same && typeof kept.rows === 'object' ? kept : undefined
  } catch {
    return undefined // not ours, or cut short: run the point again
  }
}

function runChild(job: PointJob, progress: (line: string) => void): Promise<PointAnswer> {
  const args = [
    `--max-semi-space-size=${SIM_SEMI_SPACE_MB}`,
    `--max-old-space-size=${CHILD_OLD_SPACE_MB}`,
    CHILD,
    JSON.stringify(job),
  ]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000)
    for (const line of chunk.toString().split('\n')) if (line !== '') progress(`  ${line}`)
  })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      const answer = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as PointAnswer)
        .find((a) => a.type === 'point')
      if (code === 0 && answer !== undefined) return resolve(answer)
      const how = signal === null ? `exit ${code}` : `signal ${signal}`
      reject(new Error(`${how}${stderr === '' ? '' : `: ${stderr.trim().split('\n').pop()}`}`))
    })
  })
}

export function runPointsInChildren(
  points: readonly ComparePoint[],
  settings: PointSettings,
  seed: number,
  options: {
    readonly jobs: number
    readonly keepDir: string
    readonly progress: (line: string) => void
  },
): Promise<PointsOutcome> {
  mkdirSync(options.keepDir, { recursive: true })
  const results = new Map<string, PointResult>()
  const failed: { key: string; why: string }[] = []
  const queue = runOrder(points, settings)
  const worker = async (): Promise<void> => {
    for (let point = queue.shift(); point !== undefined; point = queue.shift()) {
      const key = pointKey(point)
      const path = join(options.keepDir, `${key}.json`)
      const inputs = pointInputs(point, settings)
      const kept = readKept(path, seed, inputs)
      if (kept !== undefined) {
        results.set(key, { key, ...kept, kept: true })
        options.progress(`${key}: kept (${kept.cpuSeconds} CPU-s when run)`)
        continue
      }
      options.progress(`${key}: running`)
      try {
        const answer = await runChild({ point, settings, seed }, options.progress)
        const keep: KeptPoint = {
          seed,
          inputs,
          rows: answer.rows,
          cpuSeconds: answer.cpuSeconds,
          maxRssMb: answer.maxRssMb,
        }
        writeFileSync(`${path}.part`, `${JSON.stringify(keep, null, 2)}\n`)
        renameSync(`${path}.part`, path)
        results.set(key, { key, ...keep, kept: false })
        options.progress(`${key}: ${answer.cpuSeconds} CPU-s, ${answer.maxRssMb} MB max RSS`)
      } catch (error) {
        failed.push({ key, why: (error as Error).message })
        options.progress(`${key}: failed (${(error as Error).message})`)
      }
    }
  }
  const workers = Array.from({ length: Math.max(1, options.jobs) }, () => worker())
  return Promise.all(workers).then(() => ({
    results: points.flatMap((p) => results.get(pointKey(p)) ?? []),
    failed,
  }))
}

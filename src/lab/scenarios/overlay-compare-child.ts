/**
 * One point of `plexus sim compare` in a process of its own (overlay-compare-jobs.ts starts
 * it): reads `{ point, settings, seed }` as JSON from its first argument, runs the point and
 * prints one JSON line, its rows and what the process cost (user + sys CPU, maximum RSS, from
 * the kernel's own accounting of this process).
 */
import { pathToFileURL } from 'node:url'
import type { PointSettings } from './overlay-compare-run.js'
import {
  parsePoint,
  runPoint,
  type ComparePoint,
  type PointRows,
} from './overlay-compare-points.js'

export interface PointJob {
  readonly point: ComparePoint
  readonly settings: PointSettings
  readonly seed: number
}

export interface PointAnswer {
  readonly type: 'point'
  readonly rows: PointRows
  readonly cpuSeconds: number
  readonly maxRssMb: number
}

function main(argument: string | undefined): number {
  let job: PointJob
  try {
    const value = JSON.parse(argument ?? '') as Partial<PointJob>
    const point = parsePoint(value.point)
    if (point === undefined || typeof value.seed !== 'number' || value.settings === undefined) {
      throw new Error('expected { point, settings, seed }')
    }
    job = { point, settings: value.settings, seed: value.seed }
  } catch (error) {
    process.stderr.write(`overlay-compare-child: ${(error as Error).message}\n`)
    return 2
  }
  const rows = runPoint(job.point, job.settings, job.seed)
  const usage = process.resourceUsage()
  const answer: PointAnswer = {
    type: 'point',
    rows,
    cpuSeconds: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1e4) / 100,
    maxRssMb: Math.round(usage.maxRSS / 1024),
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`)
  return 0
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = main(process.argv[2])
}

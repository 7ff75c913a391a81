import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import {
  defaultSplitBytes,
  planSplits,
  type InputFile,
  type JobProgram,
  type JobSpec,
  type Split,
} from '../../protocols/mapreduce/index.js'

/**
 * Turning command-line inputs into a job: input paths (files, or directories read recursively,
 * skipping names that start with `_` or `.` as Hadoop's input formats do) become splits.
 */

export function listInputFiles(paths: readonly string[]): InputFile[] {
  const files: InputFile[] = []
  const visit = (path: string): void => {
    const stats = statSync(path)
    if (stats.isDirectory()) {
      for (const entry of readdirSync(path).sort()) {
        if (entry.startsWith('_') || entry.startsWith('.')) continue
        visit(join(path, entry))
      }
    } else if (stats.isFile()) files.push({ path: resolve(path), size: stats.size })
  }
  for (const path of paths) {
    if (!existsSync(path)) throw new Error(`input ${path} does not exist`)
    visit(path)
  }
  return files
}

export interface JobRequest {
  readonly program: JobProgram
  readonly inputs: readonly string[]
  readonly output: string
  readonly reduces: number
  readonly splitBytes?: number
  readonly taskTimeoutMs?: number
}

export function planJob(request: JobRequest): { job: JobSpec; splits: Split[] } {
  const files = listInputFiles(request.inputs)
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0)
  const splits = planSplits(files, request.splitBytes ?? defaultSplitBytes(totalBytes))
  const job: JobSpec = {
    jobId: `job_${Date.now()}_${randomBytes(3).toString('hex')}`,
    program: request.program,
    reduces: request.reduces,
    output: resolve(request.output),
    taskTimeoutMs: request.taskTimeoutMs ?? 600_000,
  }
  return { job, splits }
}

import { isCommitted, type TaskState } from './task-table.js'
import { addCounters, type Counters } from './types.js'

export interface PhaseProgress {
  readonly total: number
  readonly committed: number
  readonly running: number
}

export interface JobProgress {
  readonly jobId: string
  readonly maps: PhaseProgress
  readonly reduces: PhaseProgress
  readonly attemptsStarted: number
  readonly attemptsFailed: number
  readonly attemptsKilled: number
  readonly workers: number
  readonly counters: Counters
  readonly elapsedMs: number
  /** Remaining time extrapolated from the committed share, once something committed. */
  readonly etaMs: number | undefined
  readonly finished: { readonly succeeded: boolean; readonly reason: string } | undefined
}

export interface ProgressInput {
  readonly jobId: string
  readonly maps: readonly TaskState[]
  readonly reduces: readonly TaskState[]
  readonly attemptsStarted: number
  readonly attemptsFailed: number
  readonly attemptsKilled: number
  /** Workers connected now. */
  readonly workers: number
  readonly elapsedMs: number
  readonly finished: { readonly succeeded: boolean; readonly reason: string } | undefined
}

/** The job's progress from the task tables: counts per phase, counters summed, an ETA. */
export const jobProgress = (input: ProgressInput): JobProgress => {
  const phase = (tasks: readonly TaskState[]): PhaseProgress => ({
    total: tasks.length,
    committed: tasks.filter(isCommitted).length,
    running: tasks.filter((task) => task.running.size > 0).length,
  })
  const maps = phase(input.maps)
  const reduces = phase(input.reduces)
  const counters: Record<string, number> = {}
  for (const task of [...input.maps, ...input.reduces]) addCounters(counters, task.counters)
  const elapsedMs = input.elapsedMs
  // Map and reduce phases weigh the same, as Hadoop's job progress does.
  const share =
    ((maps.total === 0 ? 1 : maps.committed / maps.total) + reduces.committed / reduces.total) / 2
  return {
    jobId: input.jobId,
    maps,
    reduces,
    attemptsStarted: input.attemptsStarted,
    attemptsFailed: input.attemptsFailed,
    attemptsKilled: input.attemptsKilled,
    workers: input.workers,
    counters,
    elapsedMs,
    etaMs: share > 0 && share < 1 ? Math.round((elapsedMs * (1 - share)) / share) : undefined,
    finished: input.finished,
  }
}

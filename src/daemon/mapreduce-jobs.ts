import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Callback, Log } from '../core/env.js'
import { ok } from '../core/result.js'
import { planJob } from '../drivers/mapreduce/job-setup.js'
import { runLocal, type LocalRunOptions } from '../drivers/mapreduce/local.js'
import type { MasterDriver } from '../drivers/mapreduce/master-driver.js'
import type { JobProgress, JobSpec, Split } from '../protocols/mapreduce/index.js'

/**
 * MapReduce jobs submitted to the daemon (`[mapreduce] enabled = true`): Hadoop Streaming jobs
 * run one at a time in local mode (the master in the daemon, workers on worker threads), the
 * same engine as `plexus mr run`. A plug-in of the peer: the API and the dashboard's plug-ins
 * view show its status; stopping the daemon aborts the running job, whose output directory
 * keeps its master log (no `_SUCCESS`), so `plexus mr run` on the same output resumes it.
 */

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'

export interface StreamingJobRequest {
  readonly mapper: string
  readonly reducer: string
  readonly combiner?: string
  /** Files or directories (read recursively, `_` and `.` names skipped, as Hadoop does). */
  readonly inputs: readonly string[]
  readonly output: string
  readonly reduces?: number
  readonly splitBytes?: number
}

export interface JobRecord {
  readonly id: string
  state: JobState
  readonly request: StreamingJobRequest
  readonly output: string
  readonly submittedAt: number
  progress: JobProgress | undefined
  error: string | undefined
}

/** A refused submission or cancel: the API maps `code` to its status. */
export class JobRefused extends Error {
  constructor(
    readonly code: 'not_found' | 'exists' | 'invalid' | 'finished',
    message: string,
  ) {
    super(message)
  }
}

export interface MapReduceJobsOptions {
  /** Worker threads per job. */
  readonly workers: number
  readonly log: Log
  /** The engine; tests may pass their own. */
  readonly run?: (options: LocalRunOptions) => Promise<JobProgress>
  readonly now?: () => number
}

/** Finished jobs kept for the API; the oldest go first. */
const FINISHED_KEPT = 100
const REDUCES_DEFAULT = 2

export class MapReduceJobs {
  readonly name = 'mapreduce'
  private readonly jobs = new Map<string, JobRecord>()
  private readonly queue: { record: JobRecord; job: JobSpec; splits: Split[] }[] = []
  private running: { record: JobRecord; master: MasterDriver | undefined } | undefined
  private idle: Promise<void> = Promise.resolve()
  private stopped = false

  constructor(private readonly options: MapReduceJobsOptions) {}

  start(done: Callback<void>): void {
    done(ok(undefined))
  }

  /** Aborts the running job, drops the queue, and waits for the engine to let go. */
  stop(done: Callback<void>): void {
    this.stopped = true
    for (const queued of this.queue.splice(0)) this.finish(queued.record, 'cancelled', 'stopped')
    this.running?.master?.abort('the daemon is stopping')
    void this.idle.then(() => done(ok(undefined)))
  }

  /** Checks the request, plans the splits (the inputs must exist now), and queues the job. */
  submit(request: StreamingJobRequest): JobRecord {
    if (this.stopped) throw new JobRefused('invalid', 'the daemon is stopping')
    const output = resolve(request.output)
    if (existsSync(resolve(output, '_SUCCESS')))
      throw new JobRefused('exists', `output ${output} already holds a finished job`)
    if (existsSync(output)) throw new JobRefused('exists', `output ${output} already exists`)
    const busy = [...this.jobs.values()].some(
      (job) => job.output === output && (job.state === 'queued' || job.state === 'running'),
    )
    if (busy) throw new JobRefused('exists', `a job already writes to ${output}`)
    let planned: { job: JobSpec; splits: Split[] }
    try {
      planned = planJob({
        program: {
          kind: 'streaming',
          mapper: request.mapper,
          reducer: request.reducer,
          ...(request.combiner === undefined ? {} : { combiner: request.combiner }),
        },
        inputs: request.inputs,
        output,
        reduces: request.reduces ?? REDUCES_DEFAULT,
        ...(request.splitBytes === undefined ? {} : { splitBytes: request.splitBytes }),
      })
    } catch (error) {
      throw new JobRefused('not_found', (error as Error).message)
    }
    if (planned.splits.length === 0) throw new JobRefused('invalid', 'the inputs hold no file')
    const record: JobRecord = {
      id: planned.job.jobId,
      state: 'queued',
      request,
      output,
      submittedAt: (this.options.now ?? Date.now)(),
      progress: undefined,
      error: undefined,
    }
    this.jobs.set(record.id, record)
    this.queue.push({ record, ...planned })
    this.options.log.log('info', 'mapreduce job queued', { id: record.id, output })
    this.next()
    return record
  }

  /** Cancels a queued job, or aborts a running one (its output keeps the master log). */
  cancel(id: string): JobRecord {
    const record = this.get(id)
    if (record === undefined) throw new JobRefused('not_found', `no job ${id}`)
    const at = this.queue.findIndex((queued) => queued.record === record)
    if (at >= 0) {
      this.queue.splice(at, 1)
      this.finish(record, 'cancelled', 'cancelled before it started')
    } else if (this.running?.record === record) {
      this.running.master?.abort('cancelled')
    } else {
      throw new JobRefused('finished', `job ${id} has already ${record.state}`)
    }
    return record
  }

  get(id: string): JobRecord | undefined {
    const record = this.jobs.get(id)
    if (record !== undefined && this.running?.record === record) this.refresh()
    return record
  }

  /** Newest first. */
  list(): JobRecord[] {
    this.refresh()
    return [...this.jobs.values()].reverse()
  }

  status(): Readonly<Record<string, unknown>> {
    const jobs = this.list()
    return {
      state: this.stopped ? 'stopped' : 'running',
      workers: this.options.workers,
      queued: this.queue.length,
      jobs: jobs.slice(0, 20).map(summary),
    }
  }

  private refresh(): void {
    const running = this.running
    if (running?.master !== undefined) running.record.progress = running.master.progress()
  }

  private next(): void {
    if (this.running !== undefined || this.stopped) return
    const queued = this.queue.shift()
    if (queued === undefined) return
    const { record } = queued
    const running: { record: JobRecord; master: MasterDriver | undefined } = {
      record,
      master: undefined,
    }
    this.running = running
    record.state = 'running'
    this.options.log.log('info', 'mapreduce job started', { id: record.id })
    const run = this.options.run ?? runLocal
    this.idle = run({
      job: queued.job,
      splits: queued.splits,
      workers: this.options.workers,
      onMaster: (master) => {
        running.master = master
      },
    }).then(
      (progress) => {
        record.progress = progress
        const succeeded = progress.finished?.succeeded === true
        this.finish(record, succeeded ? 'succeeded' : 'failed', progress.finished?.reason)
      },
      (error: Error) => {
        if (running.master !== undefined) record.progress = running.master.progress()
        const cancelled = error.message === 'cancelled' || this.stopped
        this.finish(record, cancelled ? 'cancelled' : 'failed', error.message)
      },
    )
    void this.idle.then(() => {
      this.running = undefined
      this.next()
    })
  }

  private finish(record: JobRecord, state: JobState, reason: string | undefined): void {
    record.state = state
    if (state !== 'succeeded' && reason !== undefined) record.error = reason
    this.options.log.log(state === 'succeeded' ? 'info' : 'warn', `mapreduce job ${state}`, {
      id: record.id,
      ...(record.error === undefined ? {} : { error: record.error }),
    })
    const finished = [...this.jobs.values()].filter((job) => isFinished(job.state))
    for (const old of finished.slice(0, Math.max(0, finished.length - FINISHED_KEPT))) {
      this.jobs.delete(old.id)
    }
  }
}

const isFinished = (state: JobState): boolean =>
  state === 'succeeded' || state === 'failed' || state === 'cancelled'

const percent = (done: number, total: number): number =>
  total === 0 ? 100 : Math.floor((100 * done) / total)

/** One row of the plug-in's status (the dashboard shows it as a table). */
function summary(job: JobRecord): Record<string, string | number> {
  const p = job.progress
  return {
    id: job.id,
    state: job.state,
    mapPercent: p === undefined ? 0 : percent(p.maps.committed, p.maps.total),
    reducePercent: p === undefined ? 0 : percent(p.reduces.committed, p.reduces.total),
    attempts: p?.attemptsStarted ?? 0,
    failedAttempts: p?.attemptsFailed ?? 0,
    etaSeconds: p?.etaMs === undefined ? 0 : Math.ceil(p.etaMs / 1000),
    output: job.output,
  }
}

import { after, elapsed, type Duration, type Instant } from '../../core/time.js'
import { jobProgress, type JobProgress } from './master-progress.js'
import { replayRecord } from './master-replay.js'
import {
  DEAD_AFTER_HEARTBEATS,
  type MasterConfig,
  type MasterEvent,
  type MasterOutput,
} from './master-types.js'
import type { LogRecord } from './log-record.js'
import type { JobSpec, MasterMessage } from './messages.js'
import { chooseTask, roundOf, type Choice, type Round } from './scheduler.js'
import {
  assignment,
  attemptKey,
  attemptRef,
  runningAttempt,
  isCommitted,
  newTask,
  type RunningAttempt,
  type TaskState,
  type WorkerState,
} from './task-table.js'
import { attemptName, partFileName, taskName, type Split, type TaskKind } from './types.js'

/**
 * The MapReduce master (Dean and Ghemawat, OSDI 2004, section 3), as a sans-IO state machine.
 * Inputs are worker messages, connection changes and `timeout(now)`; outputs are messages to
 * send, records for the append-only log, output commits and events. The driver must perform the
 * outputs in order, and make each `log` record durable (fsync) before performing the next output.
 *
 * - Tasks: M map tasks, one per split; R reduce tasks, one per partition. Reduces start once every
 *   map output is committed and reachable.
 * - Leases: an attempt that reports no progress for `job.taskTimeoutMs` fails.
 * - Heartbeats: a worker silent for `DEAD_AFTER_HEARTBEATS` intervals is dead; its running attempts
 *   go back to pending (not counted as failures) and its committed map outputs, which lived on its
 *   disk, are re-executed while any reduce still needs them.
 * - Backups: near the end of a phase, idle workers run second attempts of the remaining tasks;
 *   the first to finish commits, the other is killed.
 * - Failures: a task whose attempts fail `maxAttempts` times fails the job, naming the attempt.
 * - Resume: `MasterCore.resume` replays the log; committed reduces never run again and committed
 *   maps run again only if their worker does not come back holding their output.
 */

export class MasterCore {
  private readonly maps: TaskState[]
  private readonly reduces: TaskState[]
  private readonly workers = new Map<string, WorkerState>()
  private readonly outputs: MasterOutput[] = []
  private finished: { succeeded: boolean; reason: string } | undefined
  private attemptsStarted = 0
  private attemptsFailed = 0
  private attemptsKilled = 0
  private lastTimeout: Instant
  private readonly anyHosts: boolean

  private constructor(
    readonly job: JobSpec,
    readonly splits: readonly Split[],
    private readonly config: MasterConfig,
    private readonly startedAt: Instant,
  ) {
    this.maps = splits.map((_, index) => newTask('map', index))
    this.reduces = Array.from({ length: job.reduces }, (_, index) => newTask('reduce', index))
    this.lastTimeout = startedAt
    this.anyHosts = splits.some((split) => split.hosts.length > 0)
  }

  /** A new job: its first log record describes it. */
  static start(
    job: JobSpec,
    splits: readonly Split[],
    config: MasterConfig,
    now: Instant,
  ): MasterCore {
    if (job.reduces < 1) throw new RangeError('a job needs at least one reduce task')
    const master = new MasterCore(job, splits, config, now)
    master.outputs.push({ type: 'log', record: { type: 'job', job, splits } })
    master.finishIfDone()
    return master
  }

  /** A restarted master, from its log (`records[0]` must be the `job` record). */
  static resume(records: readonly LogRecord[], config: MasterConfig, now: Instant): MasterCore {
    const first = records[0]
    if (first?.type !== 'job') throw new Error('the master log does not start with a job record')
    const master = new MasterCore(first.job, first.splits, config, now)
    const tables = { maps: master.maps, reduces: master.reduces, workers: master.workers }
    for (const record of records.slice(1)) {
      const finished = replayRecord(tables, record, now)
      if (finished !== undefined) master.finished = finished
    }
    master.finishIfDone()
    return master
  }

  get isFinished(): boolean {
    return this.finished !== undefined
  }

  takeOutputs(): MasterOutput[] {
    return this.outputs.splice(0, this.outputs.length)
  }

  // -- inputs ---------------------------------------------------------------------------------

  /** A worker's stream opened and it sent `register`. */
  register(now: Instant, message: Extract<MasterMessage, { type: 'register' }>): void {
    const known = this.workers.get(message.workerId)
    if (known !== undefined) this.dropRunning(known, 'the worker registered again')
    const worker: WorkerState = {
      id: message.workerId,
      locality: message.locality,
      shuffleAddress: message.shuffleAddress,
      lastSeen: now,
      connected: true,
      fromLog: false,
      running: new Set(),
    }
    this.workers.set(worker.id, worker)
    this.emit({ type: 'worker_joined', workerId: worker.id })
    const held = new Set(message.held.map((entry) => `${entry.task}:${entry.attempt}`))
    for (const task of this.maps) {
      const location = task.location
      if (location?.workerId !== worker.id) continue
      if (held.has(`${location.task}:${location.attempt}`)) continue
      this.loseMapOutput(task, `worker ${worker.id} came back without it`)
    }
    this.send(worker.id, {
      type: 'job',
      job: this.job,
      heartbeatMs: this.config.heartbeatInterval,
    })
    if (this.finished !== undefined) {
      this.send(worker.id, { type: 'job_end', ...this.finished })
      return
    }
    this.schedule(now)
  }

  /** The stream to the worker closed; it is declared dead only when its heartbeats stay away. */
  disconnected(now: Instant, workerId: string): void {
    const worker = this.workers.get(workerId)
    if (worker !== undefined) worker.connected = false
    this.schedule(now)
  }

  receive(now: Instant, workerId: string, message: MasterMessage): void {
    const worker = this.workers.get(workerId)
    if (worker === undefined) {
      // Declared dead, yet still talking (it was only slow): drop its stream, so that it
      // reconnects and registers afresh, reporting the outputs it holds.
      this.outputs.push({ type: 'drop', workerId })
      return
    }
    if (!worker.connected) return
    worker.lastSeen = now
    switch (message.type) {
      case 'heartbeat':
        for (const report of message.running) {
          const running = this.attemptOn(worker, report.kind, report.index, report.attempt)
          if (running === undefined) continue
          running.status = report.status
          if (report.progress > running.progress) {
            running.progress = report.progress
            running.leaseUntil = after(now, this.taskTimeout())
          }
        }
        // A heartbeat frees no worker and queues no task: scheduling waits for the next change
        // or the periodic `timeout` (backups become due with time), which keeps a thousand
        // heartbeating workers cheap.
        return
      case 'map_done':
        this.mapDone(now, worker, message)
        break
      case 'reduce_done':
        this.reduceDone(worker, message)
        break
      case 'task_failed':
        this.taskFailed(now, worker, message)
        break
      default:
        return // master-to-worker messages and duplicates of register are ignored here
    }
    this.schedule(now)
  }

  timeout(now: Instant): void {
    this.lastTimeout = now
    const deadAfter = this.config.heartbeatInterval * DEAD_AFTER_HEARTBEATS
    for (const worker of this.workers.values()) {
      if (elapsed(worker.lastSeen, now) >= deadAfter) this.workerLost(now, worker)
    }
    for (const task of [...this.maps, ...this.reduces]) {
      for (const running of [...task.running.values()]) {
        if (running.leaseUntil > now) continue
        const worker = this.workers.get(running.workerId)
        const reason = `no progress for ${this.taskTimeout()} ms (task timeout)`
        if (worker !== undefined) this.sendKill(task, running)
        this.failAttempt(task, running, reason)
      }
    }
    this.schedule(now)
  }

  nextTimeout(): Instant | undefined {
    if (this.finished !== undefined) return undefined
    // At least once per heartbeat interval, so that backups are considered as attempts age.
    let next: number | undefined = this.lastTimeout + this.config.heartbeatInterval
    const deadAfter = this.config.heartbeatInterval * DEAD_AFTER_HEARTBEATS
    for (const worker of this.workers.values()) {
      const at = worker.lastSeen + deadAfter
      if (next === undefined || at < next) next = at
    }
    for (const task of [...this.maps, ...this.reduces]) {
      for (const running of task.running.values()) {
        if (next === undefined || running.leaseUntil < next) next = running.leaseUntil
      }
    }
    return next as Instant | undefined
  }

  // -- task lifecycle ---------------------------------------------------------------------------

  private mapDone(
    now: Instant,
    worker: WorkerState,
    message: Extract<MasterMessage, { type: 'map_done' }>,
  ): void {
    const task = this.maps[message.task]
    const running = task && this.attemptOn(worker, 'map', message.task, message.attempt)
    if (task === undefined || running === undefined) return
    if (
      message.partitionBytes.length !== this.job.reduces ||
      message.partitionCrc.length !== this.job.reduces
    ) {
      this.failAttempt(
        task,
        running,
        `reported ${message.partitionBytes.length} partitions, the job has ${this.job.reduces}`,
      )
      return
    }
    this.endAttempt(task, running)
    if (isCommitted(task)) return // a backup already won
    const location = {
      task: task.index,
      attempt: running.attempt,
      workerId: worker.id,
      shuffleAddress: worker.shuffleAddress,
      partitionBytes: message.partitionBytes,
      partitionCrc: message.partitionCrc,
    }
    task.location = location
    task.committedAttempt = running.attempt
    task.counters = message.counters
    this.outputs.push({ type: 'log', record: { type: 'map_committed', location } })
    this.emit({ type: 'task_committed', attempt: attemptRef(task, running), workerId: worker.id })
    this.killOthers(task)
  }

  private reduceDone(
    worker: WorkerState,
    message: Extract<MasterMessage, { type: 'reduce_done' }>,
  ): void {
    const task = this.reduces[message.task]
    const running = task && this.attemptOn(worker, 'reduce', message.task, message.attempt)
    if (task === undefined || running === undefined) return
    this.endAttempt(task, running)
    if (isCommitted(task)) return
    task.committedAttempt = running.attempt
    task.counters = message.counters
    this.outputs.push({
      type: 'commit',
      tempPath: message.tempPath,
      partName: partFileName(task.index),
    })
    this.outputs.push({
      type: 'log',
      record: { type: 'reduce_committed', task: task.index, attempt: running.attempt },
    })
    this.emit({ type: 'task_committed', attempt: attemptRef(task, running), workerId: worker.id })
    this.killOthers(task)
    this.finishIfDone()
  }

  private taskFailed(
    now: Instant,
    worker: WorkerState,
    message: Extract<MasterMessage, { type: 'task_failed' }>,
  ): void {
    const tasks = message.kind === 'map' ? this.maps : this.reduces
    const task = tasks[message.task]
    const running = task && this.attemptOn(worker, message.kind, message.task, message.attempt)
    if (task === undefined || running === undefined) return
    if (message.fetchFailedMap !== undefined) {
      // Not the reducer's fault: the map output is charged and runs again.
      this.endAttempt(task, running)
      this.attemptsKilled++
      this.emitFailed(task, running, message.reason)
      const map = this.maps[message.fetchFailedMap]
      if (map !== undefined && isCommitted(map)) {
        map.failures++
        map.lastError = message.reason
        this.loseMapOutput(map, message.reason)
        if (map.failures >= this.config.maxAttempts) {
          this.failJob(
            `task ${taskName(map)} failed ${map.failures} times; last: ${message.reason}`,
          )
        }
      }
      return
    }
    this.failAttempt(task, running, message.reason)
  }

  private failAttempt(task: TaskState, running: RunningAttempt, reason: string): void {
    this.endAttempt(task, running)
    task.failures++
    this.attemptsFailed++
    const ref = attemptRef(task, running)
    task.lastError = `${attemptName(ref)} on worker ${running.workerId}: ${reason}`
    this.emit({ type: 'task_failed', attempt: ref, workerId: running.workerId, reason })
    if (task.failures >= this.config.maxAttempts && !isCommitted(task)) {
      this.failJob(`task ${taskName(task)} failed ${task.failures} times; last: ${task.lastError}`)
    }
  }

  private endAttempt(task: TaskState, running: RunningAttempt): void {
    task.running.delete(running.attempt)
    this.workers
      .get(running.workerId)
      ?.running.delete(attemptKey(task.kind, task.index, running.attempt))
  }

  private killOthers(task: TaskState): void {
    for (const running of [...task.running.values()]) {
      this.endAttempt(task, running)
      this.attemptsKilled++
      this.sendKill(task, running)
    }
  }

  private loseMapOutput(task: TaskState, reason: string): void {
    if (!isCommitted(task)) return
    task.location = undefined
    task.committedAttempt = undefined
    task.counters = {}
    this.outputs.push({ type: 'log', record: { type: 'map_lost', task: task.index } })
    this.emit({ type: 'map_output_lost', task: task.index, reason })
  }

  private workerLost(now: Instant, worker: WorkerState): void {
    this.workers.delete(worker.id)
    const requeued = this.dropRunning(worker, 'worker lost')
    let lostMaps = 0
    const reducesLeft = this.reduces.some((task) => !isCommitted(task))
    for (const task of this.maps) {
      if (task.location?.workerId !== worker.id || !reducesLeft) continue
      this.loseMapOutput(task, `worker ${worker.id} was lost`)
      lostMaps++
    }
    this.emit({ type: 'worker_lost', workerId: worker.id, requeued: requeued + lostMaps })
  }

  /** Abandons the worker's running attempts (not counted as failures). Returns how many. */
  private dropRunning(worker: WorkerState, reason: string): number {
    let dropped = 0
    for (const task of [...this.maps, ...this.reduces]) {
      for (const running of [...task.running.values()]) {
        if (running.workerId !== worker.id) continue
        this.endAttempt(task, running)
        this.attemptsKilled++
        dropped++
        this.emitFailed(task, running, reason)
      }
    }
    return dropped
  }

  private failJob(reason: string): void {
    if (this.finished !== undefined) return
    for (const task of [...this.maps, ...this.reduces]) this.killOthers(task)
    this.finished = { succeeded: false, reason }
    this.outputs.push({ type: 'log', record: { type: 'job_failed', reason } })
    this.outputs.push({ type: 'finish', succeeded: false, reason })
    this.emit({ type: 'job_finished', succeeded: false, reason })
    for (const worker of this.workers.values()) {
      if (worker.connected) this.send(worker.id, { type: 'job_end', succeeded: false, reason })
    }
  }

  private finishIfDone(): void {
    if (this.finished !== undefined) return
    if (!this.reduces.every(isCommitted)) return
    const reason = 'succeeded'
    this.finished = { succeeded: true, reason }
    // The marker first, then the record: a crash in between re-writes the same marker.
    this.outputs.push({ type: 'finish', succeeded: true, reason })
    this.outputs.push({ type: 'log', record: { type: 'job_succeeded' } })
    this.emit({ type: 'job_finished', succeeded: true, reason })
    for (const worker of this.workers.values()) {
      if (worker.connected) this.send(worker.id, { type: 'job_end', succeeded: true, reason })
    }
  }

  // -- scheduling -------------------------------------------------------------------------------

  private schedule(now: Instant): void {
    if (this.finished !== undefined) return
    let round: Round | undefined
    for (const worker of this.workers.values()) {
      if (!worker.connected || worker.running.size > 0) continue
      round ??= roundOf(this.maps, this.workers, this.anyHosts)
      const choice = chooseTask(
        now,
        worker,
        this.maps,
        this.reduces,
        this.splits,
        this.config,
        round,
      )
      // Nothing for this worker means nothing for the others either (but for a backup of a
      // task running on this very worker, which the next scheduling round finds): stop here,
      // so that a thousand idle workers cost one scan, not a thousand.
      if (choice === undefined) return
      this.launch(now, worker, choice)
    }
  }

  private launch(now: Instant, worker: WorkerState, choice: Choice): void {
    const task = choice.task
    const attempt = task.nextAttempt++
    const running: RunningAttempt = {
      attempt,
      workerId: worker.id,
      startedAt: now,
      backup: choice.backup,
      progress: 0,
      status: '',
      leaseUntil: after(now, this.taskTimeout()),
    }
    task.running.set(attempt, running)
    worker.running.add(attemptKey(task.kind, task.index, attempt))
    this.attemptsStarted++
    this.emit({
      type: 'task_started',
      attempt: attemptRef(task, running),
      workerId: worker.id,
      backup: choice.backup,
    })
    this.send(worker.id, assignment(task, attempt, this.splits, this.maps))
  }

  // -- helpers ----------------------------------------------------------------------------------

  private taskTimeout(): Duration {
    return this.job.taskTimeoutMs as Duration
  }

  private attemptOn(worker: WorkerState, kind: TaskKind, index: number, attempt: number) {
    return runningAttempt(kind === 'map' ? this.maps : this.reduces, worker.id, index, attempt)
  }

  private send(workerId: string, message: MasterMessage): void {
    this.outputs.push({ type: 'send', workerId, message })
  }

  private sendKill(task: TaskState, running: RunningAttempt): void {
    const attempt = running.attempt
    this.send(running.workerId, { type: 'kill', kind: task.kind, task: task.index, attempt })
  }

  private emitFailed(task: TaskState, running: RunningAttempt, reason: string): void {
    const attempt = attemptRef(task, running)
    this.emit({ type: 'task_failed', attempt, workerId: running.workerId, reason })
  }

  private emit(event: MasterEvent): void {
    this.outputs.push({ type: 'event', event })
  }

  progress(now: Instant): JobProgress {
    return jobProgress({
      jobId: this.job.jobId,
      maps: this.maps,
      reduces: this.reduces,
      attemptsStarted: this.attemptsStarted,
      attemptsFailed: this.attemptsFailed,
      attemptsKilled: this.attemptsKilled,
      workers: [...this.workers.values()].filter((worker) => worker.connected).length,
      elapsedMs: elapsed(this.startedAt, now),
      finished: this.finished,
    })
  }
}

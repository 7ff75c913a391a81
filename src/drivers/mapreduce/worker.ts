import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { connect, type AddressInfo, type Server, type Socket } from 'node:net'
import { hostname } from 'node:os'
import { join } from 'node:path'
import {
  attemptName,
  decodeMasterMessage,
  encodeMasterMessage,
  type JobSpec,
  type MasterMessage,
  type TaskKind,
} from '../../protocols/mapreduce/index.js'
import { MAX_CONTROL_FRAME, readFrames, writeFrame } from './framing.js'
import { mapOutputDir, runMapTask, safeName } from './map-task.js'
import { loadModuleProgram } from './module-program.js'
import type { Program, TaskContext } from './program.js'
import { FetchError, runReduceTask } from './reduce-task.js'
import { startShuffleServer, splitHostPort } from './shuffle.js'
import { streamingProgram } from './streaming.js'

export interface WorkerOptions {
  /** HOST:PORT of the master. */
  readonly master: string
  /** Where map outputs live until the job ends. */
  readonly workDir: string
  /** The address the shuffle server binds (and advertises). */
  readonly bindHost: string
  readonly workerId?: string
  readonly locality?: string
  /** Give up when the master stays unreachable this long. */
  readonly reconnectForMs?: number
  /** Stop once the master says the job ended (the CLI worker); a plug-in keeps serving. */
  readonly exitOnJobEnd: boolean
  readonly onEvent?: (event: WorkerEvent) => void
}

export type WorkerEvent =
  | { readonly type: 'connected'; readonly master: string }
  | { readonly type: 'task_started'; readonly attempt: string }
  | {
      readonly type: 'task_finished'
      readonly attempt: string
      readonly ok: boolean
      readonly reason: string
    }
  | { readonly type: 'master_lost' }
  | { readonly type: 'job_end'; readonly succeeded: boolean; readonly reason: string }

interface RunningTask {
  readonly kind: TaskKind
  readonly task: number
  readonly attempt: number
  readonly controller: AbortController
  readonly context: TaskContext
}

/**
 * A MapReduce worker: registers with the master, heartbeats, runs the tasks it is given one at a
 * time, serves its map outputs to reducers, and reconnects (keeping its outputs) when the master
 * restarts. `done` settles when the job ends (or the master stays away too long).
 */
export class MapReduceWorker {
  readonly workerId: string
  private shuffle: Server | undefined
  private socket: Socket | undefined
  private job: JobSpec | undefined
  private program: Promise<Program> | undefined
  private heartbeat: NodeJS.Timeout | undefined
  private running: RunningTask | undefined
  private stopped = false
  private lostSince: number | undefined
  /** Finished map attempts whose output this worker still holds: `task -> attempt`. */
  private readonly held = new Map<number, number>()
  private tasksRun = 0
  private resolveDone!: (result: { succeeded: boolean; reason: string }) => void
  readonly done = new Promise<{ succeeded: boolean; reason: string }>((resolve) => {
    this.resolveDone = resolve
  })

  constructor(private readonly options: WorkerOptions) {
    this.workerId = options.workerId ?? `w-${randomBytes(6).toString('hex')}`
  }

  async start(): Promise<void> {
    this.shuffle = await startShuffleServer(this.options.workDir, this.options.bindHost)
    this.connect()
  }

  get shuffleAddress(): string {
    const address = this.shuffle?.address() as AddressInfo | undefined
    const host = this.options.bindHost.includes(':')
      ? `[${this.options.bindHost}]`
      : this.options.bindHost
    return `${host}:${address?.port ?? 0}`
  }

  status(): Record<string, unknown> {
    return {
      workerId: this.workerId,
      master: this.options.master,
      connected: this.socket !== undefined && this.lostSince === undefined,
      shuffleAddress: this.shuffleAddress,
      jobId: this.job?.jobId,
      running:
        this.running === undefined
          ? undefined
          : attemptName({
              kind: this.running.kind,
              index: this.running.task,
              attempt: this.running.attempt,
            }),
      tasksRun: this.tasksRun,
      mapOutputsHeld: this.held.size,
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.running?.controller.abort()
    clearInterval(this.heartbeat)
    this.socket?.destroy()
    await new Promise<void>((resolve) =>
      this.shuffle ? this.shuffle.close(() => resolve()) : resolve(),
    )
    if (this.job !== undefined) {
      await rm(join(this.options.workDir, safeName(this.job.jobId)), {
        force: true,
        recursive: true,
      })
    }
  }

  private connect(): void {
    if (this.stopped) return
    const [host, port] = splitHostPort(this.options.master)
    const socket = connect({ host, port: Number(port) })
    socket.setNoDelay(true)
    this.socket = socket
    socket.on('connect', () => {
      this.lostSince = undefined
      this.options.onEvent?.({ type: 'connected', master: this.options.master })
      this.send({
        type: 'register',
        workerId: this.workerId,
        locality: this.options.locality ?? hostname(),
        shuffleAddress: this.shuffleAddress,
        held: [...this.held].map(([task, attempt]) => ({ task, attempt })),
      })
    })
    readFrames(socket, MAX_CONTROL_FRAME, (body) => {
      const message = decodeMasterMessage(body)
      if (!message.ok) return void socket.destroy()
      this.onMessage(message.value)
    })
    socket.on('error', () => undefined)
    socket.on('close', () => this.onMasterLost(socket))
  }

  private onMasterLost(socket: Socket): void {
    if (this.socket !== socket || this.stopped) return
    clearInterval(this.heartbeat)
    this.heartbeat = undefined
    // The new master drops what we were running: stop it now.
    this.running?.controller.abort()
    this.lostSince ??= performance.now()
    this.options.onEvent?.({ type: 'master_lost' })
    if (performance.now() - this.lostSince > (this.options.reconnectForMs ?? 60_000)) {
      this.resolveDone({
        succeeded: false,
        reason: `the master at ${this.options.master} is unreachable`,
      })
      void this.stop()
      return
    }
    setTimeout(() => this.connect(), 200).unref()
  }

  private onMessage(message: MasterMessage): void {
    switch (message.type) {
      case 'job':
        if (this.job?.jobId !== message.job.jobId) {
          this.job = message.job
          this.program = programFor(message.job)
          this.program.catch(() => undefined)
        }
        clearInterval(this.heartbeat)
        this.heartbeat = setInterval(() => this.sendHeartbeat(), message.heartbeatMs)
        return
      case 'assign_map':
      case 'assign_reduce':
        void this.runTask(message)
        return
      case 'kill':
        if (
          this.running?.kind === message.kind &&
          this.running.task === message.task &&
          this.running.attempt === message.attempt
        ) {
          this.running.controller.abort()
        }
        return
      case 'job_end':
        this.options.onEvent?.({
          type: 'job_end',
          succeeded: message.succeeded,
          reason: message.reason,
        })
        this.resolveDone({ succeeded: message.succeeded, reason: message.reason })
        if (this.options.exitOnJobEnd) void this.stop()
        return
      default:
        return
    }
  }

  private sendHeartbeat(): void {
    const running = this.running
    this.send({
      type: 'heartbeat',
      running:
        running === undefined
          ? []
          : [
              {
                kind: running.kind,
                index: running.task,
                attempt: running.attempt,
                progress: Math.floor(running.context.progress),
                status: running.context.status.slice(0, 200),
              },
            ],
    })
  }

  private async runTask(
    message: Extract<MasterMessage, { type: 'assign_map' | 'assign_reduce' }>,
  ): Promise<void> {
    const job = this.job
    if (job === undefined || this.program === undefined) return
    const kind: TaskKind = message.type === 'assign_map' ? 'map' : 'reduce'
    const name = attemptName({ kind, index: message.task, attempt: message.attempt })
    const controller = new AbortController()
    const context: TaskContext = {
      signal: controller.signal,
      counters: {},
      progress: 0,
      status: '',
      environment: {
        mapreduce_job_id: job.jobId,
        mapreduce_task_attempt_id: name,
        mapreduce_task_partition: String(message.task),
        ...(message.type === 'assign_map'
          ? { mapreduce_map_input_file: message.split.path, map_input_file: message.split.path }
          : {}),
      },
    }
    const running: RunningTask = {
      kind,
      task: message.task,
      attempt: message.attempt,
      controller,
      context,
    }
    this.running = running
    this.tasksRun++
    this.options.onEvent?.({ type: 'task_started', attempt: name })
    try {
      const program = await this.program
      if (message.type === 'assign_map') {
        const dir = mapOutputDir(this.options.workDir, job.jobId, message.task, message.attempt)
        const result = await runMapTask(program, message.split, job.reduces, dir, context)
        if (controller.signal.aborted) throw new Error('killed')
        this.held.set(message.task, message.attempt)
        this.send({
          type: 'map_done',
          task: message.task,
          attempt: message.attempt,
          ...result,
          counters: context.counters,
        })
      } else {
        const tempPath = await runReduceTask(
          program,
          job.jobId,
          message.task,
          message.attempt,
          message.sources,
          job.output,
          context,
          job.taskTimeoutMs,
        )
        if (controller.signal.aborted) throw new Error('killed')
        this.send({
          type: 'reduce_done',
          task: message.task,
          attempt: message.attempt,
          tempPath,
          counters: context.counters,
        })
      }
      this.options.onEvent?.({ type: 'task_finished', attempt: name, ok: true, reason: '' })
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      this.options.onEvent?.({ type: 'task_finished', attempt: name, ok: false, reason })
      if (!controller.signal.aborted) {
        this.send({
          type: 'task_failed',
          kind,
          task: message.task,
          attempt: message.attempt,
          reason: reason.slice(0, 4000),
          ...(error instanceof FetchError ? { fetchFailedMap: error.mapTask } : {}),
        })
      }
    } finally {
      if (this.running === running) this.running = undefined
    }
  }

  private send(message: MasterMessage): void {
    const socket = this.socket
    if (socket === undefined || socket.destroyed || !socket.writable) return
    writeFrame(socket, encodeMasterMessage(message))
  }
}

function programFor(job: JobSpec): Promise<Program> {
  const program = job.program
  if (program.kind === 'module') return loadModuleProgram(program.module, program.useCombiner)
  return Promise.resolve(streamingProgram(program))
}

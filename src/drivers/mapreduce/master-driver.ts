import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { instant, ms, type Instant } from '../../core/time.js'
import {
  decodeMasterMessage,
  defaultMasterConfig,
  encodeMasterMessage,
  MasterCore,
  partFileName,
  type JobProgress,
  type JobSpec,
  type MasterConfig,
  type MasterEvent,
  type MasterMessage,
  type Split,
} from '../../protocols/mapreduce/index.js'
import { MAX_CONTROL_FRAME, readFrames, writeFrame } from './framing.js'
import { MasterLogFile } from './master-log.js'
import { OutputDirectory } from './output-commit.js'

export interface MasterOptions {
  readonly bindHost: string
  readonly port: number
  readonly output: string
  /** The job to start; ignored when the output directory holds a log to resume from. */
  readonly job: JobSpec
  readonly splits: readonly Split[]
  readonly heartbeatMs: number
  readonly config?: Partial<MasterConfig>
  readonly onEvent?: (event: MasterEvent) => void
}

/**
 * Runs a MasterCore over TCP: workers connect and exchange length-prefixed frames; each log
 * record is fsynced before the next output is performed; commits are renames in the output
 * directory. When `<output>/_temporary/master.log` exists the master resumes from it.
 */
export class MasterDriver {
  private server: Server | undefined
  private core!: MasterCore
  private log!: MasterLogFile
  private readonly sockets = new Map<string, Socket>()
  private timer: NodeJS.Timeout | undefined
  private readonly output: OutputDirectory
  private readonly clockStart = performance.now()
  readonly resumed: boolean
  private finalized = false
  private resolveDone!: (progress: JobProgress) => void
  private rejectDone!: (error: Error) => void
  readonly done = new Promise<JobProgress>((resolve, reject) => {
    this.resolveDone = resolve
    this.rejectDone = reject
  })

  constructor(private readonly options: MasterOptions) {
    this.output = new OutputDirectory(options.output)
    this.output.prepare()
    const opened = MasterLogFile.open(this.output.logPath)
    this.log = opened.log
    const config = { ...defaultMasterConfig(ms(options.heartbeatMs)), ...options.config }
    this.resumed = opened.records.length > 0
    this.core = this.resumed
      ? MasterCore.resume(opened.records, config, this.now())
      : MasterCore.start(options.job, options.splits, config, this.now())
    this.done.catch(() => undefined)
  }

  get job(): JobSpec {
    return this.core.job
  }

  progress(): JobProgress {
    return this.core.progress(this.now())
  }

  async start(): Promise<string> {
    this.drain()
    if (this.core.isFinished) {
      // A resumed master whose job had ended: finish the cleanup a crash may have cut short.
      this.finalize()
      return ''
    }
    const server = createServer((socket) => this.accept(socket))
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.options.port, this.options.bindHost, () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.reschedule()
    const address = server.address() as AddressInfo
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    return `${host}:${address.port}`
  }

  stop(): void {
    clearTimeout(this.timer)
    for (const socket of this.sockets.values()) socket.destroy()
    this.server?.close()
  }

  /**
   * Stops the job where it stands and rejects `done` with `reason`: the output directory keeps
   * its log and no `_SUCCESS`, so a later master may resume it (the daemon's cancel).
   */
  abort(reason: string): void {
    this.stop()
    if (!this.finalized) this.rejectDone(new Error(reason))
  }

  private now(): Instant {
    return instant(performance.now() - this.clockStart)
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true)
    let workerId: string | undefined
    socket.on('error', () => undefined)
    readFrames(socket, MAX_CONTROL_FRAME, (body) => {
      const decoded = decodeMasterMessage(body)
      if (!decoded.ok) return void socket.destroy()
      const message = decoded.value
      if (workerId === undefined) {
        if (message.type !== 'register') return void socket.destroy()
        workerId = message.workerId
        this.sockets.get(workerId)?.destroy()
        this.sockets.set(workerId, socket)
        this.core.register(this.now(), message)
      } else this.core.receive(this.now(), workerId, message)
      this.drain()
    })
    socket.on('close', () => {
      if (workerId === undefined || this.sockets.get(workerId) !== socket) return
      this.sockets.delete(workerId)
      this.core.disconnected(this.now(), workerId)
      this.drain()
    })
  }

  private drain(): void {
    try {
      for (const output of this.core.takeOutputs()) {
        switch (output.type) {
          case 'send':
            this.send(output.workerId, output.message)
            break
          case 'log':
            this.log.append(output.record)
            break
          case 'commit':
            this.output.commit(output.tempPath, output.partName)
            break
          case 'finish':
            if (output.succeeded) {
              const parts = Array.from({ length: this.core.job.reduces }, (_, index) =>
                partFileName(index),
              )
              this.output.finishSucceeded(parts)
            }
            break
          case 'drop':
            this.sockets.get(output.workerId)?.destroy()
            this.sockets.delete(output.workerId)
            break
          case 'event':
            this.options.onEvent?.(output.event)
            break
        }
      }
    } catch (error) {
      this.stop()
      this.rejectDone(error as Error)
      return
    }
    if (this.core.isFinished) this.finalize()
    else this.reschedule()
  }

  private finalize(): void {
    if (this.finalized) return
    this.finalized = true
    const progress = this.progress()
    // Let the job_end frames reach the workers before the sockets go.
    setTimeout(() => this.stop(), 100).unref()
    this.server?.close()
    clearTimeout(this.timer)
    this.log.close()
    if (progress.finished?.succeeded === true) {
      if (!this.output.succeeded) {
        const parts = Array.from({ length: this.core.job.reduces }, (_, index) =>
          partFileName(index),
        )
        this.output.finishSucceeded(parts)
      }
      this.output.removeTemporary()
    } else this.output.removeAttempts()
    this.resolveDone(progress)
  }

  private reschedule(): void {
    clearTimeout(this.timer)
    const next = this.core.nextTimeout()
    if (next === undefined) return
    const delay = Math.max(0, next - this.now())
    this.timer = setTimeout(() => {
      this.core.timeout(this.now())
      this.drain()
    }, delay)
  }

  private send(workerId: string, message: MasterMessage): void {
    const socket = this.sockets.get(workerId)
    if (socket === undefined || socket.destroyed) return
    writeFrame(socket, encodeMasterMessage(message))
  }
}

import { SeededRandom, type Random } from '../../core/random.js'
import { instant, ms, seconds, type Instant } from '../../core/time.js'
import {
  MasterCore,
  defaultMasterConfig,
  type JobSpec,
  type MasterMessage,
  type MasterOutput,
  type Split,
} from '../../protocols/mapreduce/index.js'
import { Scheduler } from '../../sim/index.js'

/**
 * One MapReduce job in virtual time: the production MasterCore schedules M map and R reduce
 * tasks over simulated workers. A worker "runs" a task by waiting its duration (a base time,
 * jittered, divided by its speed); a few workers are stragglers (a bad disk in the paper), and
 * some may be killed mid-job and restarted at once as fresh workers, as the paper's cluster
 * scheduler did. A reduce whose source map output died before it finished fetching reports a
 * fetch failure, and the map runs again.
 */

export interface JobSimParams {
  readonly workers: number
  readonly maps: number
  readonly reduces: number
  readonly mapSeconds: number
  readonly reduceSeconds: number
  /** Share of workers that run slowly, and by how much (a random factor up to this). */
  readonly stragglerRatio: number
  readonly stragglerSlowdown: number
  readonly backupTasks: boolean
  /** Workers killed at `killAtSeconds` (0: none); each comes back as a new worker 5 s later. */
  readonly killWorkers: number
  readonly killAtSeconds: number
  readonly heartbeatSeconds: number
}

export interface JobSimResult {
  readonly succeeded: boolean
  readonly seconds: number
  /** Virtual seconds at which the map phase ended (every map committed). */
  readonly mapPhaseSeconds: number
  readonly attemptsStarted: number
  readonly backupAttempts: number
  readonly attemptsKilled: number
  readonly mapOutputsLost: number
  readonly commits: number
  /** Problems found by the invariant checks (empty when all hold). */
  readonly violations: string[]
}

const LATENCY = ms(1)

interface SimWorker {
  readonly id: string
  alive: boolean
  readonly speed: number
  running:
    | { kind: 'map' | 'reduce'; task: number; attempt: number; startedAt: number; endsAt: number }
    | undefined
  diedAt: number | undefined
}

export function simulateJob(params: JobSimParams, seed: number): JobSimResult {
  const random = new SeededRandom(seed)
  const speeds = random.fork('speeds')
  const durations = random.fork('durations')
  const scheduler = new Scheduler()
  const job: JobSpec = {
    jobId: 'sim',
    program: { kind: 'streaming', mapper: 'map', reducer: 'reduce' },
    reduces: params.reduces,
    output: '/sim',
    taskTimeoutMs: 3_600_000,
  }
  const splits: Split[] = Array.from({ length: params.maps }, (_, index) => ({
    path: `input-${index}`,
    start: 0,
    length: 64 << 20,
    hosts: [],
  }))
  const config = {
    ...defaultMasterConfig(seconds(params.heartbeatSeconds)),
    backupTasks: params.backupTasks,
    backupAfter: seconds(params.mapSeconds),
  }
  const master = MasterCore.start(job, splits, config, instant(0))
  const workers = new Map<string, SimWorker>()
  const violations: string[] = []
  let finishedAt: number | undefined
  let mapPhaseEnd = 0
  let backups = 0
  let lost = 0
  let commits = 0
  let nextWorker = 0
  const now = (): Instant => scheduler.now()

  const perform = (outputs: MasterOutput[]): void => {
    for (const output of outputs) {
      if (output.type === 'send') {
        const worker = workers.get(output.workerId)
        if (worker !== undefined) deliver(worker, output.message)
      } else if (output.type === 'commit') commits++
      else if (output.type === 'finish') {
        finishedAt = now()
        if (!output.succeeded) violations.push(`job failed: ${output.reason}`)
      } else if (output.type === 'event') {
        const event = output.event
        if (event.type === 'task_started' && event.backup) backups++
        if (event.type === 'map_output_lost') lost++
        if (event.type === 'task_committed' && event.attempt.kind === 'map') mapPhaseEnd = now()
      }
    }
  }
  const toMaster = (worker: SimWorker, message: MasterMessage): void => {
    scheduler.schedule(
      now() + LATENCY,
      () => {
        master.receive(now(), worker.id, message)
        perform(master.takeOutputs())
      },
      undefined,
      worker,
    )
  }
  const deliver = (worker: SimWorker, message: MasterMessage): void => {
    scheduler.schedule(now() + LATENCY, () => onMessage(worker, message), undefined, worker)
  }
  const taskSeconds = (worker: SimWorker, base: number): number =>
    (base * (0.75 + 0.5 * durations.float())) / worker.speed

  const onMessage = (worker: SimWorker, message: MasterMessage): void => {
    if (message.type === 'assign_map' || message.type === 'assign_reduce') {
      const kind = message.type === 'assign_map' ? 'map' : 'reduce'
      const span =
        taskSeconds(worker, kind === 'map' ? params.mapSeconds : params.reduceSeconds) * 1000
      const running = {
        kind,
        task: message.task,
        attempt: message.attempt,
        startedAt: now(),
        endsAt: now() + span,
      } as const
      worker.running = { ...running }
      const sources = message.type === 'assign_reduce' ? message.sources : []
      scheduler.schedule(
        now() + span,
        () => {
          if (
            worker.running?.attempt !== running.attempt ||
            worker.running.task !== running.task ||
            worker.running.kind !== kind
          )
            return
          worker.running = undefined
          if (kind === 'map') {
            const sizes = Array.from({ length: params.reduces }, () => 1)
            toMaster(worker, {
              type: 'map_done',
              task: running.task,
              attempt: running.attempt,
              partitionBytes: sizes,
              partitionCrc: sizes,
              counters: {},
            })
            return
          }
          // The fetch takes the first half of a reduce: a source that died before then is missing.
          const fetchedBy = running.startedAt + span / 2
          const missing = sources.find((source) => {
            const holder = workers.get(source.workerId)
            return (
              holder === undefined || (holder.diedAt !== undefined && holder.diedAt < fetchedBy)
            )
          })
          if (missing !== undefined) {
            toMaster(worker, {
              type: 'task_failed',
              kind: 'reduce',
              task: running.task,
              attempt: running.attempt,
              reason: 'fetch failed',
              fetchFailedMap: missing.task,
            })
          } else {
            toMaster(worker, {
              type: 'reduce_done',
              task: running.task,
              attempt: running.attempt,
              tempPath: `/sim/_temporary/r${running.task}`,
              counters: {},
            })
          }
        },
        undefined,
        worker,
      )
    } else if (message.type === 'kill') {
      if (
        worker.running?.task === message.task &&
        worker.running.attempt === message.attempt &&
        worker.running.kind === message.kind
      )
        worker.running = undefined
    }
  }

  const heartbeat = (worker: SimWorker): void => {
    if (finishedAt !== undefined) return
    const running = worker.running
    toMaster(worker, {
      type: 'heartbeat',
      running:
        running === undefined
          ? []
          : [
              {
                kind: running.kind,
                index: running.task,
                attempt: running.attempt,
                progress: Math.floor(now() - running.startedAt),
                status: '',
              },
            ],
    })
    scheduler.schedule(
      now() + params.heartbeatSeconds * 1000,
      () => heartbeat(worker),
      undefined,
      worker,
    )
  }

  const addWorker = (speedRandom: Random): void => {
    const straggler = speedRandom.float() < params.stragglerRatio
    const worker: SimWorker = {
      id: `w${nextWorker++}`,
      alive: true,
      speed: straggler ? 1 / (1 + speedRandom.float() * (params.stragglerSlowdown - 1)) : 1,
      running: undefined,
      diedAt: undefined,
    }
    workers.set(worker.id, worker)
    master.register(now(), {
      type: 'register',
      workerId: worker.id,
      locality: '',
      shuffleAddress: worker.id,
      held: [],
    })
    perform(master.takeOutputs())
    scheduler.schedule(
      now() + params.heartbeatSeconds * 1000 * speedRandom.float(),
      () => heartbeat(worker),
      undefined,
      worker,
    )
  }

  for (let i = 0; i < params.workers; i++) addWorker(speeds)
  perform(master.takeOutputs())

  if (params.killWorkers > 0) {
    const victims = random.fork('victims')
    scheduler.schedule(
      params.killAtSeconds * 1000,
      () => {
        const alive = [...workers.values()].filter((worker) => worker.alive)
        for (let k = 0; k < params.killWorkers && alive.length > 0; k++) {
          const [victim] = alive.splice(victims.int(alive.length), 1)
          if (victim === undefined) continue
          victim.alive = false
          victim.diedAt = now()
          victim.running = undefined
          master.disconnected(now(), victim.id)
          perform(master.takeOutputs())
        }
        // The cluster scheduler restarts a worker process on each machine (a fresh worker).
        scheduler.schedule(
          now() + 5000,
          () => {
            for (let k = 0; k < params.killWorkers; k++) addWorker(victims)
          },
          undefined,
        )
      },
      undefined,
    )
  }

  const tick = (): void => {
    master.timeout(now())
    perform(master.takeOutputs())
    if (finishedAt === undefined) scheduler.schedule(now() + 1000, tick, undefined)
  }
  scheduler.schedule(1000, tick, undefined)

  const result = scheduler.run({ until: instant(24 * 3_600_000) })
  void result
  if (finishedAt === undefined) violations.push('the job did not finish within a virtual day')
  if (commits !== params.reduces)
    violations.push(`${commits} reduce commits for ${params.reduces} reduces`)
  const progress = master.progress(now())
  if (
    progress.maps.committed !== params.maps &&
    finishedAt !== undefined &&
    progress.finished?.succeeded === true &&
    lost === 0
  ) {
    violations.push('the job succeeded with uncommitted maps')
  }
  return {
    succeeded: progress.finished?.succeeded === true,
    seconds: (finishedAt ?? now()) / 1000,
    mapPhaseSeconds: mapPhaseEnd / 1000,
    attemptsStarted: progress.attemptsStarted,
    backupAttempts: backups,
    attemptsKilled: progress.attemptsKilled,
    mapOutputsLost: lost,
    commits,
    violations,
  }
}

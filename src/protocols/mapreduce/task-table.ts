import type { Instant } from '../../core/time.js'
import type { MasterMessage } from './messages.js'
import type { AttemptRef, Counters, MapOutputLocation, Split, TaskKind } from './types.js'

/** One launched execution of a task, as the master tracks it. */
export interface RunningAttempt {
  readonly attempt: number
  readonly workerId: string
  readonly startedAt: Instant
  readonly backup: boolean
  progress: number
  status: string
  /** The attempt fails when it reports no progress by then (the task timeout). */
  leaseUntil: Instant
}

export interface TaskState {
  readonly kind: TaskKind
  readonly index: number
  readonly running: Map<number, RunningAttempt>
  nextAttempt: number
  /** Failed attempts so far (killed ones, lost with a worker, do not count). */
  failures: number
  lastError: string
  /** Set once committed: a map's output location, a reduce's committed attempt. */
  location: MapOutputLocation | undefined
  committedAttempt: number | undefined
  counters: Counters
}

export function newTask(kind: TaskKind, index: number): TaskState {
  return {
    kind,
    index,
    running: new Map(),
    nextAttempt: 0,
    failures: 0,
    lastError: '',
    location: undefined,
    committedAttempt: undefined,
    counters: {},
  }
}

export const isCommitted = (task: TaskState): boolean => task.committedAttempt !== undefined

export const isPending = (task: TaskState): boolean => !isCommitted(task) && task.running.size === 0

export interface WorkerState {
  readonly id: string
  locality: string
  shuffleAddress: string
  lastSeen: Instant
  /** The stream to the worker is up: tasks may be sent. */
  connected: boolean
  /** Known to the master from its log only, not yet re-registered since a restart. */
  fromLog: boolean
  /** Attempts running on the worker, as `kind:index:attempt`. */
  readonly running: Set<string>
}

export const attemptKey = (kind: TaskKind, index: number, attempt: number): string =>
  `${kind}:${index}:${attempt}`

export const attemptRef = (task: TaskState, running: RunningAttempt): AttemptRef => ({
  kind: task.kind,
  index: task.index,
  attempt: running.attempt,
})

/** The message that starts an attempt: a map gets its split, a reduce every map output. */
export const assignment = (
  task: TaskState,
  attempt: number,
  splits: readonly Split[],
  maps: readonly TaskState[],
): MasterMessage => {
  if (task.kind === 'map') {
    return { type: 'assign_map', task: task.index, attempt, split: splits[task.index] as Split }
  }
  const sources = maps.map((map) => map.location).filter((location) => location !== undefined)
  return { type: 'assign_reduce', task: task.index, attempt, sources }
}

/** The attempt `attempt` of task `index`, if it runs on that worker (else a stale report). */
export const runningAttempt = (
  tasks: readonly TaskState[],
  workerId: string,
  index: number,
  attempt: number,
): RunningAttempt | undefined => {
  const running = tasks[index]?.running.get(attempt)
  return running?.workerId === workerId ? running : undefined
}

import type { Instant } from '../../core/time.js'
import type { MasterConfig } from './master-types.js'
import type { Split } from './types.js'
import { isCommitted, isPending, type TaskState, type WorkerState } from './task-table.js'

/**
 * Which task an idle worker runs next, a pure decision:
 *
 * 1. while any map is uncommitted: a pending map whose split is local to the worker, else any
 *    pending map (lowest index first, so that the order is reproducible);
 * 2. once every map output is committed: a pending reduce;
 * 3. otherwise, near the end of the phase, a backup attempt of the longest-running task that has
 *    a single attempt and does not run on this worker (section 3.6 of the paper).
 */

export interface Choice {
  readonly task: TaskState
  readonly backup: boolean
}

/** What one scheduling round computes once for all idle workers. */
export interface Round {
  /** Some map is uncommitted or held by a worker not (yet) reachable: reduces must wait. */
  readonly mapsLeft: boolean
  /** Some split names hosts: worth scanning for a local one. */
  readonly anyHosts: boolean
}

export function chooseTask(
  now: Instant,
  worker: WorkerState,
  maps: readonly TaskState[],
  reduces: readonly TaskState[],
  splits: readonly Split[],
  config: MasterConfig,
  round: Round,
): Choice | undefined {
  const phase = round.mapsLeft ? maps : reduces
  if (round.mapsLeft) {
    const local = round.anyHosts && worker.locality !== ''
    let fallback: TaskState | undefined
    for (const task of maps) {
      if (!isPending(task)) continue
      if (!local) return { task, backup: false }
      if (splits[task.index]?.hosts.includes(worker.locality) === true)
        return { task, backup: false }
      fallback ??= task
    }
    if (fallback !== undefined) return { task: fallback, backup: false }
  } else {
    const pending = reduces.find(isPending)
    if (pending !== undefined) return { task: pending, backup: false }
  }
  return config.backupTasks ? chooseBackup(now, worker, phase, config) : undefined
}

function chooseBackup(
  now: Instant,
  worker: WorkerState,
  phase: readonly TaskState[],
  config: MasterConfig,
): Choice | undefined {
  const remaining = phase.filter((task) => !isCommitted(task))
  if (remaining.length === 0) return undefined
  if (remaining.length > Math.max(1, Math.ceil(phase.length * config.backupThreshold)))
    return undefined
  if (remaining.some(isPending)) return undefined
  let best: TaskState | undefined
  let bestStart = Infinity
  for (const task of remaining) {
    if (task.running.size !== 1) continue
    const [only] = task.running.values()
    if (only === undefined || only.workerId === worker.id) continue
    if (now - only.startedAt < config.backupAfter) continue
    if (only.startedAt < bestStart) {
      best = task
      bestStart = only.startedAt
    }
  }
  return best === undefined ? undefined : { task: best, backup: true }
}

/**
 * The round's facts. Reduces wait until every map output is committed on a worker known to be
 * up (after a restart, a worker named by the log counts only once it registers again).
 */
export function roundOf(
  maps: readonly TaskState[],
  workers: ReadonlyMap<string, WorkerState>,
  anyHosts: boolean,
): Round {
  const mapsLeft = maps.some((task) => {
    if (task.location === undefined) return true
    const holder = workers.get(task.location.workerId)
    return holder === undefined || holder.fromLog
  })
  return { mapsLeft, anyHosts }
}

import type { Instant } from '../../core/time.js'
import type { LogRecord } from './log-record.js'
import type { TaskState, WorkerState } from './task-table.js'

/** The master's task and worker tables, as the log replay rebuilds them. */
export interface MasterTables {
  readonly maps: readonly TaskState[]
  readonly reduces: readonly TaskState[]
  readonly workers: Map<string, WorkerState>
}

/**
 * Applies one log record of a restarted master to its tables. Returns how the job ended when
 * the record says so. A map committed on a worker not yet seen makes that worker known as
 * "from the log": it may come back holding the output.
 */
export const replayRecord = (
  tables: MasterTables,
  record: LogRecord,
  now: Instant,
): { succeeded: boolean; reason: string } | undefined => {
  switch (record.type) {
    case 'map_committed': {
      const task = tables.maps[record.location.task]
      if (task === undefined) return undefined
      task.location = record.location
      task.committedAttempt = record.location.attempt
      task.nextAttempt = Math.max(task.nextAttempt, record.location.attempt + 1)
      // Its worker may come back with the output: wait for it as for any silent worker.
      if (!tables.workers.has(record.location.workerId)) {
        tables.workers.set(record.location.workerId, {
          id: record.location.workerId,
          locality: '',
          shuffleAddress: record.location.shuffleAddress,
          lastSeen: now,
          connected: false,
          fromLog: true,
          running: new Set(),
        })
      }
      return undefined
    }
    case 'map_lost': {
      const task = tables.maps[record.task]
      if (task === undefined) return undefined
      task.location = undefined
      task.committedAttempt = undefined
      return undefined
    }
    case 'reduce_committed': {
      const task = tables.reduces[record.task]
      if (task === undefined) return undefined
      task.committedAttempt = record.attempt
      task.nextAttempt = Math.max(task.nextAttempt, record.attempt + 1)
      return undefined
    }
    case 'job_succeeded':
      return { succeeded: true, reason: 'succeeded' }
    case 'job_failed':
      return { succeeded: false, reason: record.reason }
    case 'job':
      return undefined
  }
}

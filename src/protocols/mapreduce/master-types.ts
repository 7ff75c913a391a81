import { seconds, type Duration } from '../../core/time.js'
import type { LogRecord } from './log-record.js'
import type { MasterMessage } from './messages.js'
import type { AttemptRef } from './types.js'

/** The master's settings, its events and the outputs its driver performs (see MasterCore). */

export const DEAD_AFTER_HEARTBEATS = 3

export interface MasterConfig {
  readonly heartbeatInterval: Duration
  /** Failed attempts of one task that fail the job (Hadoop's default: 4). */
  readonly maxAttempts: number
  readonly backupTasks: boolean
  /** Backups start when at most this share of a phase's tasks remain (at least one task). */
  readonly backupThreshold: number
  /** An attempt gets a backup only once it has run this long (a straggler, not a fresh task). */
  readonly backupAfter: Duration
}

export const defaultMasterConfig = (heartbeatInterval: Duration): MasterConfig => ({
  heartbeatInterval,
  maxAttempts: 4,
  backupTasks: true,
  backupThreshold: 0.05,
  backupAfter: seconds(5),
})

export type MasterEvent =
  | { readonly type: 'worker_joined'; readonly workerId: string }
  | { readonly type: 'worker_lost'; readonly workerId: string; readonly requeued: number }
  | {
      readonly type: 'task_started'
      readonly attempt: AttemptRef
      readonly workerId: string
      readonly backup: boolean
    }
  | {
      readonly type: 'task_failed'
      readonly attempt: AttemptRef
      readonly workerId: string
      readonly reason: string
    }
  | { readonly type: 'task_committed'; readonly attempt: AttemptRef; readonly workerId: string }
  | { readonly type: 'map_output_lost'; readonly task: number; readonly reason: string }
  | { readonly type: 'job_finished'; readonly succeeded: boolean; readonly reason: string }

export type MasterOutput =
  | { readonly type: 'send'; readonly workerId: string; readonly message: MasterMessage }
  | { readonly type: 'log'; readonly record: LogRecord }
  /** Rename the attempt's file to the final part name, both inside the job's output directory. */
  | { readonly type: 'commit'; readonly tempPath: string; readonly partName: string }
  /** The job ended: on success, write the `_SUCCESS` marker (every part is committed by now). */
  | { readonly type: 'finish'; readonly succeeded: boolean; readonly reason: string }
  /** Close the stream of a worker the master no longer knows; it will register again. */
  | { readonly type: 'drop'; readonly workerId: string }
  | { readonly type: 'event'; readonly event: MasterEvent }

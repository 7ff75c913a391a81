import type { Counters, MapOutputLocation, Split, TaskKind } from './types.js'

/**
 * What a worker needs to run the job's tasks. A `module` job names a JS/TS module exporting
 * `map`, `reduce` and optionally `combine` and `partition`; a `streaming` job is Hadoop
 * Streaming's contract: shell commands fed lines on stdin.
 */
export type JobProgram =
  | { readonly kind: 'module'; readonly module: string; readonly useCombiner: boolean }
  | {
      readonly kind: 'streaming'
      readonly mapper: string
      readonly reducer: string
      readonly combiner?: string
    }

export interface JobSpec {
  readonly jobId: string
  readonly program: JobProgram
  readonly reduces: number
  /** The output directory (shared with the master: reducers write there, the master commits). */
  readonly output: string
  /** A running attempt that reports no progress for this long is failed (Hadoop's task timeout). */
  readonly taskTimeoutMs: number
}

/** Worker -> master, and master -> worker, over one length-prefixed stream. */
export type MasterMessage =
  | {
      readonly type: 'register'
      readonly workerId: string
      readonly locality: string
      readonly shuffleAddress: string
      /** Map outputs this worker still serves (a worker re-registering after a master restart). */
      readonly held: readonly { readonly task: number; readonly attempt: number }[]
    }
  | { readonly type: 'job'; readonly job: JobSpec; readonly heartbeatMs: number }
  | {
      readonly type: 'heartbeat'
      readonly running: readonly {
        readonly kind: TaskKind
        readonly index: number
        readonly attempt: number
        /** Monotone progress measure (bytes consumed); the lease renews when it grows. */
        readonly progress: number
        readonly status: string
      }[]
    }
  | {
      readonly type: 'assign_map'
      readonly task: number
      readonly attempt: number
      readonly split: Split
    }
  | {
      readonly type: 'assign_reduce'
      readonly task: number
      readonly attempt: number
      readonly sources: readonly MapOutputLocation[]
    }
  | {
      readonly type: 'map_done'
      readonly task: number
      readonly attempt: number
      readonly partitionBytes: readonly number[]
      readonly partitionCrc: readonly number[]
      readonly counters: Counters
    }
  | {
      readonly type: 'reduce_done'
      readonly task: number
      readonly attempt: number
      /** The attempt's output file, inside the job's output directory, to be renamed on commit. */
      readonly tempPath: string
      readonly counters: Counters
    }
  | {
      readonly type: 'task_failed'
      readonly kind: TaskKind
      readonly task: number
      readonly attempt: number
      readonly reason: string
      /** Set when a reducer could not fetch (or verify) this map task's output. */
      readonly fetchFailedMap?: number
    }
  | {
      readonly type: 'kill'
      readonly kind: TaskKind
      readonly task: number
      readonly attempt: number
    }
  | { readonly type: 'job_end'; readonly succeeded: boolean; readonly reason: string }

/** Reducer -> mapper's shuffle server. */
export type ShuffleMessage =
  | {
      readonly type: 'fetch'
      readonly jobId: string
      readonly task: number
      readonly attempt: number
      readonly partition: number
    }
  | { readonly type: 'fetch_data'; readonly bytes: Uint8Array }
  | { readonly type: 'fetch_missing'; readonly reason: string }

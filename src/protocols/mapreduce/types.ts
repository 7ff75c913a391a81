/**
 * The vocabulary shared by the MapReduce master, its workers and its log: tasks, splits,
 * attempts and counters. Plain data, JSON-ready, so that messages and log records carry it as is.
 */

export type TaskKind = 'map' | 'reduce'

/** One task of the job: map task `index` reads split `index`; reduce task `index` owns partition `index`. */
export interface TaskRef {
  readonly kind: TaskKind
  readonly index: number
}

/** One execution of a task. Attempt numbers start at 0 and grow by one per launch. */
export interface AttemptRef extends TaskRef {
  readonly attempt: number
}

/** A byte range of one input file; the reader widens it to whole lines (see splits.ts). */
export interface Split {
  readonly path: string
  readonly start: number
  readonly length: number
  /** Localities (host names) that already hold the file: the master prefers them. */
  readonly hosts: readonly string[]
}

/** Where a finished map attempt's partitions can be fetched, and what they must hash to. */
export interface MapOutputLocation {
  readonly task: number
  readonly attempt: number
  readonly workerId: string
  /** HOST:PORT of the worker's shuffle server. */
  readonly shuffleAddress: string
  /** Bytes of each partition, by reduce index. */
  readonly partitionBytes: readonly number[]
  /** CRC-32 of each partition, by reduce index: a reducer rejects a mismatching fetch. */
  readonly partitionCrc: readonly number[]
}

/** Hadoop's `reporter:counter:GROUP,NAME,N`, keyed by `GROUP,NAME`. */
export type Counters = Readonly<Record<string, number>>

export const taskName = (task: TaskRef): string =>
  `${task.kind === 'map' ? 'm' : 'r'}_${String(task.index).padStart(6, '0')}`

/** Hadoop-style attempt name: `attempt_m_000003_1`. */
export const attemptName = (attempt: AttemptRef): string =>
  `attempt_${taskName(attempt)}_${attempt.attempt}`

/** Hadoop's output file name for reduce partition `index`: `part-00003`. */
export const partFileName = (index: number): string => `part-${String(index).padStart(5, '0')}`

export function addCounters(into: Record<string, number>, more: Counters): void {
  for (const [name, value] of Object.entries(more)) into[name] = (into[name] ?? 0) + value
}

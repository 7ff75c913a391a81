import type { Group, KeyGroups, KeyValue } from '../../protocols/mapreduce/index.js'

/**
 * What a worker runs for a job: either kind of job (a JS module, a Hadoop Streaming command set)
 * is turned into this shape, so map and reduce tasks have one code path.
 */

/** A task's window on the worker: cancellation, counters and status for the heartbeats. */
export interface TaskContext {
  readonly signal: AbortSignal
  readonly counters: Record<string, number>
  /** Bytes consumed so far: the master renews the task's lease while this grows. */
  progress: number
  status: string
  /** Extra environment for Streaming commands (`mapreduce_task_id`, `map_input_file`, ...). */
  readonly environment: Readonly<Record<string, string>>
}

export interface Program {
  /**
   * Map one split's lines (`input`: the lines, each ending in `\n`) into `output`, grouped by
   * key; resolves with the number of records the map emitted.
   */
  map(input: Buffer, output: KeyGroups, context: TaskContext): Promise<number>
  /** Combine one sorted map-side partition; undefined when the job has no combiner. */
  readonly combine:
    ((sorted: readonly Group[], context: TaskContext) => Promise<KeyGroups>) | undefined
  /** Reduce one sorted partition into output text (lines `key<TAB>value\n`). */
  reduce(sorted: readonly Group[], context: TaskContext): Promise<Buffer>
  /** The partition of a key; called once per distinct key of a map's output. */
  partition(key: string, reduces: number): number
}

/** A failure the worker reports as the task attempt's error. */
export class TaskError extends Error {
  override readonly name = 'TaskError'
}

/** Hadoop's framework counters, in its TaskCounter group. */
export const COUNTER = {
  mapInputRecords: 'TaskCounter,MAP_INPUT_RECORDS',
  mapOutputRecords: 'TaskCounter,MAP_OUTPUT_RECORDS',
  combineOutputRecords: 'TaskCounter,COMBINE_OUTPUT_RECORDS',
  /** Bytes of map output that travel in the shuffle (after the combiner). */
  mapOutputMaterializedBytes: 'TaskCounter,MAP_OUTPUT_MATERIALIZED_BYTES',
  reduceInputRecords: 'TaskCounter,REDUCE_INPUT_RECORDS',
  reduceShuffleBytes: 'TaskCounter,REDUCE_SHUFFLE_BYTES',
  reduceOutputRecords: 'TaskCounter,REDUCE_OUTPUT_RECORDS',
} as const

export const addCount = (counters: Record<string, number>, name: string, by: number): void => {
  counters[name] = (counters[name] ?? 0) + by
}

/** Splits `key<TAB>value` lines of `text` (the last line may lack its `\n`) into records. */
export function parseRecords(text: string): KeyValue[] {
  const records: KeyValue[] = []
  let start = 0
  while (start < text.length) {
    let end = text.indexOf('\n', start)
    if (end < 0) end = text.length
    const tab = text.indexOf('\t', start)
    if (tab >= 0 && tab < end)
      records.push({ key: text.slice(start, tab), value: text.slice(tab + 1, end) })
    else records.push({ key: text.slice(start, end), value: '' })
    start = end + 1
  }
  return records
}

/** Records as `key<TAB>value\n` lines. */
export function formatRecords(records: readonly KeyValue[]): string {
  let text = ''
  for (const record of records) text += `${record.key}\t${record.value}\n`
  return text
}

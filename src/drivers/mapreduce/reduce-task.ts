import { mkdir, open } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { crc32 } from 'node:zlib'
import {
  attemptName,
  parseLinesInto,
  partFileName,
  sortGroups,
  type Group,
  type KeyGroups,
  type MapOutputLocation,
} from '../../protocols/mapreduce/index.js'
import { COUNTER, addCount, TaskError, type Program, type TaskContext } from './program.js'
import { fetchPartition } from './shuffle.js'

const PARALLEL_FETCHES = 4

/** A reducer could not get (or verify) one map output: the master re-runs that map. */
export class FetchError extends TaskError {
  constructor(
    readonly mapTask: number,
    message: string,
  ) {
    super(message)
  }
}

/** The attempt's output, inside the job's output directory until the master commits it. */
export const reduceTempPath = (output: string, task: number, attempt: number): string =>
  join(
    output,
    '_temporary',
    attemptName({ kind: 'reduce', index: task, attempt }),
    partFileName(task),
  )

/**
 * Runs one reduce attempt: fetches partition `task` of every map output from the workers that
 * hold them, checks each against the length and CRC the master recorded, sorts the records by
 * key (then value), reduces them and writes the result to a temporary file, fsynced.
 */
export async function runReduceTask(
  program: Program,
  jobId: string,
  task: number,
  attempt: number,
  sources: readonly MapOutputLocation[],
  output: string,
  context: TaskContext,
  fetchTimeoutMs: number,
): Promise<string> {
  const parts: string[] = new Array<string>(sources.length)
  let next = 0
  const fetchOne = async (): Promise<void> => {
    while (next < sources.length) {
      const index = next++
      const source = sources[index] as MapOutputLocation
      let bytes: Buffer
      try {
        bytes = await fetchPartition(jobId, source, task, context.signal, fetchTimeoutMs)
      } catch (error) {
        if (context.signal.aborted) throw new TaskError('killed')
        throw new FetchError(
          source.task,
          `fetching map ${source.task} attempt ${source.attempt}: ${(error as Error).message}`,
        )
      }
      if (
        bytes.length !== source.partitionBytes[task] ||
        crc32(bytes) !== source.partitionCrc[task]
      ) {
        throw new FetchError(
          source.task,
          `map ${source.task} attempt ${source.attempt} returned a partition that fails its length/CRC check`,
        )
      }
      addCount(context.counters, COUNTER.reduceShuffleBytes, bytes.length)
      context.progress += bytes.length
      parts[index] = bytes.toString('utf8')
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL_FETCHES, sources.length) }, fetchOne))
  const groups: KeyGroups = new Map()
  let records = 0
  for (const part of parts) records += parseLinesInto(part, groups)
  addCount(context.counters, COUNTER.reduceInputRecords, records)
  // Only the distinct keys are sorted; a key's values come as sorted runs, one per part, which
  // V8's TimSort merges.
  const result = await program.reduce(sortGroups<Group>([...groups]), context)
  const path = reduceTempPath(output, task, attempt)
  if (context.signal.aborted) throw new TaskError('killed')
  // Not recursive: once the master has removed `_temporary` (the job ended), a late attempt
  // must not create it again.
  await mkdir(dirname(path)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST')
      throw new TaskError(`cannot write the attempt's output: ${error.code ?? error.message}`)
  })
  const handle = await open(path, 'w')
  try {
    await handle.writeFile(result)
    await handle.sync()
  } finally {
    await handle.close()
  }
  return path
}

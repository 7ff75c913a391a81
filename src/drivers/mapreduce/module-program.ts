import { pathToFileURL } from 'node:url'
import { groupByKey, hashPartition, type KeyValue } from '../../protocols/mapreduce/index.js'
import { COUNTER, addCount, TaskError, type Program, type TaskContext } from './program.js'

/**
 * A job written as a JS/TS module (compiled to JS) that exports:
 *
 *   map(line: string, emit: (key: string, value: string) => void): void
 *   reduce(key: string, values: string[], emit: (key: string, value: string) => void): void
 *   combine?(key, values, emit)        same shape as reduce, run on each map's sorted output
 *   partition?(key: string, reduces: number): number      default: Hadoop's hash partitioner
 *
 * Keys and values are strings (a key must not contain TAB or newline, a value no newline: they
 * travel as Streaming lines). A function that throws fails the task attempt with its message.
 * Long tasks yield to the event loop every few thousand records so heartbeats keep flowing.
 */

type Emit = (key: string, value: string) => void
interface JobModule {
  map(line: string, emit: Emit): void
  reduce(key: string, values: string[], emit: Emit): void
  combine?: (key: string, values: string[], emit: Emit) => void
  partition?: (key: string, reduces: number) => number
}

const YIELD_EVERY = 20_000
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

export async function loadModuleProgram(
  modulePath: string,
  useCombiner: boolean,
): Promise<Program> {
  let loaded: Record<string, unknown>
  try {
    loaded = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>
  } catch (error) {
    throw new TaskError(`cannot load job module ${modulePath}: ${(error as Error).message}`)
  }
  const job = loaded as unknown as JobModule
  for (const name of ['map', 'reduce'] as const) {
    if (typeof loaded[name] !== 'function')
      throw new TaskError(`job module ${modulePath} exports no ${name}()`)
  }
  const combine = useCombiner ? job.combine : undefined
  if (useCombiner && typeof combine !== 'function') {
    throw new TaskError(`job module ${modulePath} exports no combine()`)
  }
  const partition = job.partition
  return {
    async map(input, context) {
      const records: KeyValue[] = []
      const emit = checkedEmit('map', records)
      const text = input.toString('utf8')
      let start = 0
      let count = 0
      while (start < text.length) {
        const end = text.indexOf('\n', start)
        const line = text.slice(start, end < 0 ? text.length : end)
        start = end < 0 ? text.length : end + 1
        guarded('map', () => job.map(line, emit))
        context.progress += line.length + 1
        if (++count % YIELD_EVERY === 0) await pause(context)
      }
      addCount(context.counters, COUNTER.mapOutputRecords, records.length)
      return records
    },
    combine:
      combine === undefined
        ? undefined
        : async (sorted, context) => reduceGroups('combine', combine, sorted, context),
    async reduce(sorted, context) {
      const records = await reduceGroups('reduce', job.reduce, sorted, context)
      addCount(context.counters, COUNTER.reduceOutputRecords, records.length)
      let text = ''
      for (const record of records) text += `${record.key}\t${record.value}\n`
      return Buffer.from(text)
    },
    partition:
      partition === undefined
        ? (key, reduces) => hashPartition(Buffer.from(key), reduces)
        : (key, reduces) => {
            const index = guarded('partition', () => partition(key, reduces))
            if (!Number.isInteger(index) || index < 0 || index >= reduces) {
              throw new TaskError(
                `partition("${key}", ${reduces}) returned ${String(index)}, not 0..${reduces - 1}`,
              )
            }
            return index
          },
  }
}

async function reduceGroups(
  role: string,
  reduce: (key: string, values: string[], emit: Emit) => void,
  sorted: KeyValue[],
  context: TaskContext,
): Promise<KeyValue[]> {
  const records: KeyValue[] = []
  const emit = checkedEmit(role, records)
  let count = 0
  for (const [key, values] of groupByKey(sorted)) {
    guarded(role, () => reduce(key, values, emit))
    context.progress += values.length
    count += values.length
    if (count > YIELD_EVERY) {
      count = 0
      await pause(context)
    }
  }
  return records
}

async function pause(context: TaskContext): Promise<void> {
  await yieldToLoop()
  if (context.signal.aborted) throw new TaskError('killed')
}

function checkedEmit(role: string, into: KeyValue[]): Emit {
  return (key, value) => {
    if (typeof key !== 'string' || typeof value !== 'string') {
      throw new TaskError(
        `${role} emitted a non-string key or value (${typeof key}, ${typeof value})`,
      )
    }
    if (key.includes('\t') || key.includes('\n') || value.includes('\n')) {
      throw new TaskError(
        `${role} emitted a malformed record: TAB or newline in key "${key.slice(0, 40)}"`,
      )
    }
    into.push({ key, value })
  }
}

function guarded<T>(role: string, run: () => T): T {
  try {
    return run()
  } catch (error) {
    if (error instanceof TaskError) throw error
    const message = error instanceof Error ? error.message : String(error)
    throw new TaskError(`${role}() threw: ${message}`)
  }
}

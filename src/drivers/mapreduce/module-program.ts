import { pathToFileURL } from 'node:url'
import { hashPartition, type Group, type KeyGroups } from '../../protocols/mapreduce/index.js'
import { COUNTER, addCount, TaskError, type Program, type TaskContext } from './program.js'

/**
 * A job written as a JS/TS module (compiled to JS) that exports:
 *
 *   map(line: string, emit: (key: string, value: string) => void): void
 *   reduce(key: string, values: string[], emit: (key: string, value: string) => void): void
 *   combine?(key, values, emit)        same shape as reduce, run on each map's output in key
 *                                      order, and on a key's values while the map runs (below)
 *   partition?(key: string, reduces: number): number      default: Hadoop's hash partitioner
 *
 * Keys and values are strings (a key must not contain TAB or newline, a value no newline: they
 * travel as Streaming lines). A function that throws fails the task attempt with its message.
 * Long tasks yield to the event loop every few thousand records so heartbeats keep flowing.
 *
 * With a combiner, a map task combines a key's values whenever PARTIAL_COMBINE_AT of them have
 * piled up, as Hadoop runs its combiner on every spill and again on the merge: a combiner may
 * see a key's values more than once and in any order, so it must be associative and commutative
 * (a sum, a max). A word count then holds a few values per distinct key, not one per word.
 */

type Emit = (key: string, value: string) => void
interface JobModule {
  map(line: string, emit: Emit): void
  reduce(key: string, values: string[], emit: Emit): void
  combine?: (key: string, values: string[], emit: Emit) => void
  partition?: (key: string, reduces: number) => number
}

const YIELD_EVERY = 20_000
/** Values of one key that trigger a combine while the map still runs. */
export const PARTIAL_COMBINE_AT = 256
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
    async map(input, output, context) {
      const sink = new MapSink(output, combine)
      const text = input.toString('utf8')
      let start = 0
      while (start < text.length) {
        const next = mapLines(job.map, text, start, sink.emit)
        context.progress += next - start
        start = next
        if (start < text.length) await pause(context)
      }
      addCount(context.counters, COUNTER.mapOutputRecords, sink.emitted)
      return sink.emitted
    },
    combine:
      combine === undefined
        ? undefined
        : async (sorted, context) => {
            const combined: KeyGroups = new Map()
            const emit = checkedEmit('combine', (key, value) => {
              const values = combined.get(key)
              if (values === undefined) combined.set(key, [value])
              else values.push(value)
            })
            await reduceGroups('combine', combine, sorted, emit, context)
            return combined
          },
    async reduce(sorted, context) {
      const lines: string[] = []
      const emit = checkedEmit('reduce', (key, value) => void lines.push(`${key}\t${value}\n`))
      await reduceGroups('reduce', job.reduce, sorted, emit, context)
      addCount(context.counters, COUNTER.reduceOutputRecords, lines.length)
      return Buffer.from(lines.join(''))
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

/**
 * Maps up to YIELD_EVERY lines of `text` from `start`; returns where it stopped. One try block
 * around the batch, not a closure per line: the loop runs once per input line.
 */
function mapLines(map: JobModule['map'], text: string, start: number, emit: Emit): number {
  let position = start
  try {
    for (let count = 0; count < YIELD_EVERY && position < text.length; count++) {
      let end = text.indexOf('\n', position)
      if (end < 0) end = text.length
      map(text.slice(position, end), emit)
      position = end + 1
    }
  } catch (error) {
    throw asTaskError('map', error)
  }
  return Math.min(position, text.length)
}

/**
 * Where a map's records go: straight into the key groups, checking a key once, when it is first
 * seen, and combining a key's values in place when they pile up.
 */
class MapSink {
  emitted = 0
  /** Keys whose combine did not shrink their values: combined again only at this many. */
  private readonly combineAgainAt = new Map<string, number>()

  constructor(
    private readonly groups: KeyGroups,
    private readonly combine: JobModule['combine'],
  ) {}

  /** The last value checked: a map emits the same value string (a word count's "1") a lot. */
  private checkedValue = ''

  readonly emit: Emit = (key, value) => {
    if (value !== this.checkedValue) {
      if (typeof value !== 'string' || value.includes('\n')) badRecord('map', key, value)
      this.checkedValue = value
    }
    let values = this.groups.get(key)
    if (values === undefined) {
      if (typeof key !== 'string' || key.includes('\t') || key.includes('\n'))
        badRecord('map', key, value)
      values = []
      this.groups.set(key, values)
    }
    values.push(value)
    this.emitted++
    if (values.length >= PARTIAL_COMBINE_AT && this.combine !== undefined)
      this.combineKey(key, values, this.combine)
  }

  private combineKey(
    key: string,
    values: string[],
    combine: NonNullable<JobModule['combine']>,
  ): void {
    const again = this.combineAgainAt.get(key)
    if (again !== undefined && values.length < again) return
    const own: string[] = []
    const others: [string, string][] = []
    const emit = checkedEmit('combine', (outKey, outValue) => {
      if (outKey === key) own.push(outValue)
      else others.push([outKey, outValue])
    })
    try {
      combine(key, values, emit)
    } catch (error) {
      throw asTaskError('combine', error)
    }
    // A key the combiner dropped leaves no empty group for the final combine to see.
    if (own.length > 0) this.groups.set(key, own)
    else this.groups.delete(key)
    if (own.length * 2 > PARTIAL_COMBINE_AT) this.combineAgainAt.set(key, own.length * 2)
    else this.combineAgainAt.delete(key)
    // A combiner that emits other keys: they join the map output (and its partitioning) as is.
    for (const [otherKey, otherValue] of others) {
      const otherValues = this.groups.get(otherKey)
      if (otherValues === undefined) this.groups.set(otherKey, [otherValue])
      else otherValues.push(otherValue)
    }
  }
}

async function reduceGroups(
  role: string,
  reduce: (key: string, values: string[], emit: Emit) => void,
  sorted: readonly Group[],
  emit: Emit,
  context: TaskContext,
): Promise<void> {
  let count = 0
  for (const [key, values] of sorted) {
    try {
      reduce(key, values, emit)
    } catch (error) {
      throw asTaskError(role, error)
    }
    context.progress += values.length
    count += values.length
    if (count > YIELD_EVERY) {
      count = 0
      await pause(context)
    }
  }
}

async function pause(context: TaskContext): Promise<void> {
  await yieldToLoop()
  if (context.signal.aborted) throw new TaskError('killed')
}

function badRecord(role: string, key: unknown, value: unknown): never {
  if (typeof key !== 'string' || typeof value !== 'string') {
    throw new TaskError(
      `${role} emitted a non-string key or value (${typeof key}, ${typeof value})`,
    )
  }
  throw new TaskError(
    `${role} emitted a malformed record: TAB or newline in key "${key.slice(0, 40)}"`,
  )
}

/** An emit that checks each record, then hands it on. */
function checkedEmit(role: string, into: Emit): Emit {
  return (key, value) => {
    if (
      typeof key !== 'string' ||
      typeof value !== 'string' ||
      key.includes('\t') ||
      key.includes('\n') ||
      value.includes('\n')
    )
      badRecord(role, key, value)
    into(key, value)
  }
}

function asTaskError(role: string, error: unknown): TaskError {
  if (error instanceof TaskError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new TaskError(`${role}() threw: ${message}`)
}

function guarded<T>(role: string, run: () => T): T {
  try {
    return run()
  } catch (error) {
    throw asTaskError(role, error)
  }
}

import { spawn } from 'node:child_process'
import {
  formatGroups,
  hashPartition,
  parseLinesInto,
  type KeyGroups,
  type KeyValue,
} from '../../protocols/mapreduce/index.js'
import {
  COUNTER,
  addCount,
  formatRecords,
  parseRecords,
  TaskError,
  type Program,
  type TaskContext,
} from './program.js'

/**
 * Hadoop Streaming's contract: each command runs under `sh -c`, gets records as lines on stdin
 * (a mapper the split's lines; a combiner and a reducer `key<TAB>value` lines sorted by key) and
 * prints `key<TAB>value` lines on stdout. On stderr, `reporter:counter:GROUP,NAME,N` adds to a
 * counter and `reporter:status:TEXT` sets the task's status; other stderr lines are kept for the
 * error message. A non-zero exit or output that is not UTF-8 fails the attempt.
 */

const STDERR_TAIL = 2_000
const utf8Strict = new TextDecoder('utf-8', { fatal: true })

export function streamingProgram(commands: {
  readonly mapper: string
  readonly reducer: string
  readonly combiner?: string | undefined
}): Program {
  const combiner = commands.combiner
  return {
    async map(input, output, context) {
      const text = await runCommand('mapper', commands.mapper, input, context)
      const records = parseLinesInto(text, output)
      addCount(context.counters, COUNTER.mapOutputRecords, records)
      return records
    },
    combine:
      combiner === undefined
        ? undefined
        : async (sorted, context) => {
            const text = await runCommand(
              'combiner',
              combiner,
              Buffer.from(formatGroups(sorted)),
              context,
            )
            const combined: KeyGroups = new Map()
            parseLinesInto(text, combined)
            return combined
          },
    async reduce(sorted, context) {
      const output = await runCommand(
        'reducer',
        commands.reducer,
        Buffer.from(formatGroups(sorted)),
        context,
      )
      // Hadoop writes each reducer line back as key, TAB, value: a line without a TAB gains one.
      const records = parseRecords(output)
      addCount(context.counters, COUNTER.reduceOutputRecords, records.length)
      return Buffer.from(formatRecords(records))
    },
    partition: (key: string, reduces: number) => hashPartition(Buffer.from(key), reduces),
  }
}

/** Runs `command` with `input` on stdin; resolves with its stdout as text. */
export function runCommand(
  role: string,
  command: string,
  input: Buffer,
  context: TaskContext,
): Promise<string> {
  return new Promise((resolve, reject) => {
    if (context.signal.aborted) return reject(new TaskError(`${role} killed`))
    const child = spawn('/bin/sh', ['-c', command], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // its own process group, so a kill reaches the command's children too
      env: { ...process.env, ...context.environment },
    })
    const stdout: Buffer[] = []
    let stderrTail = ''
    let pendingStderr = ''
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    const onAbort = (): void => killGroup()
    context.signal.addEventListener('abort', onAbort, { once: true })
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk)
      context.progress += chunk.length
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => {
      pendingStderr += chunk
      let newline = pendingStderr.indexOf('\n')
      while (newline >= 0) {
        const line = pendingStderr.slice(0, newline)
        pendingStderr = pendingStderr.slice(newline + 1)
        if (!reporterLine(line, context))
          stderrTail = (stderrTail + line + '\n').slice(-STDERR_TAIL)
        newline = pendingStderr.indexOf('\n')
      }
    })
    child.stdin.on('error', () => {
      // EPIPE: the command exited without reading all its input; its exit status tells the rest.
    })
    child.on('error', (error) => {
      context.signal.removeEventListener('abort', onAbort)
      reject(new TaskError(`${role} could not start: ${error.message}`))
    })
    child.on('close', (code, signal) => {
      context.signal.removeEventListener('abort', onAbort)
      if (pendingStderr !== '' && !reporterLine(pendingStderr, context)) stderrTail += pendingStderr
      if (context.signal.aborted) return reject(new TaskError(`${role} killed`))
      if (code !== 0) {
        const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`
        const detail =
          stderrTail.trim() === '' ? '' : `: ${stderrTail.trim().split('\n').slice(-5).join(' | ')}`
        return reject(new TaskError(`${role} \`${command}\` ${how}${detail}`))
      }
      const bytes = Buffer.concat(stdout)
      try {
        resolve(utf8Strict.decode(bytes))
      } catch {
        reject(new TaskError(`${role} \`${command}\` printed malformed output: not UTF-8 text`))
      }
    })
    child.stdin.end(input)
    context.progress += input.length
  })
}

/** Applies a `reporter:` line; false when the line is ordinary stderr. */
function reporterLine(line: string, context: TaskContext): boolean {
  if (line.startsWith('reporter:counter:')) {
    const fields = line.slice('reporter:counter:'.length).split(',')
    const amount = Number(fields[2])
    if (fields.length !== 3 || !Number.isFinite(amount)) return false
    addCount(context.counters, `${fields[0]},${fields[1]}`, amount)
    context.progress++
    return true
  }
  if (line.startsWith('reporter:status:')) {
    context.status = line.slice('reporter:status:'.length)
    context.progress++
    return true
  }
  return false
}

export type { KeyValue }

import type { Log, LogFields, LogLevel } from '../../core/env.js'

/**
 * A levelled logger writing one line per event, either for people
 * (`12:34:56.789 info  message key=value`) or as JSON lines for tools. Times are UTC wall-clock
 * time: lines from several hosts then line up without knowing each host's zone.
 * No dependency: the sink is anything with `write(line)`, process.stderr by default.
 */

export interface LogSink {
  write(line: string): unknown
}

export type LogFormat = 'human' | 'json'

export interface NodeLogOptions {
  /** Events below this level are dropped. Default 'info'. */
  readonly level?: LogLevel
  readonly format?: LogFormat
  readonly sink?: LogSink
  /** Milliseconds since the Unix epoch; injectable so that tests get stable lines. */
  readonly wallClock?: () => number
}

const LEVEL_RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 }
/** Keys the JSON format owns; a field with one of these names is written as `field.<name>`. */
const RESERVED_KEYS = new Set(['time', 'level', 'msg'])

export class NodeLog implements Log {
  private readonly rank: number
  private readonly format: LogFormat
  private readonly sink: LogSink
  private readonly wallClock: () => number

  /** `fields` are added to every line (what `child` builds on). */
  constructor(
    private readonly options: NodeLogOptions = {},
    private readonly fields: LogFields = {},
  ) {
    this.rank = LEVEL_RANK[options.level ?? 'info']
    this.format = options.format ?? 'human'
    this.sink = options.sink ?? process.stderr
    this.wallClock = options.wallClock ?? Date.now
  }

  log(level: LogLevel, message: string, fields?: LogFields): void {
    if (LEVEL_RANK[level] < this.rank) return
    const all = fields === undefined ? this.fields : { ...this.fields, ...fields }
    const time = new Date(this.wallClock())
    const line =
      this.format === 'json'
        ? jsonLine(time, level, message, all)
        : humanLine(time, level, message, all)
    this.sink.write(`${line}\n`)
  }

  /** Shares this logger's sink and level; `fields` override the parent's of the same name. */
  child(fields: LogFields): NodeLog {
    return new NodeLog(this.options, { ...this.fields, ...fields })
  }
}

/** A Log that drops everything: the default for drivers built without one. */
export const silentLog: Log = {
  log: () => {},
  child: () => silentLog,
}

function humanLine(time: Date, level: LogLevel, message: string, fields: LogFields): string {
  let line = `${time.toISOString().slice(11, 23)} ${level.padEnd(5)} ${oneLine(message)}`
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) line += ` ${key}=${humanValue(value)}`
  }
  return line
}

/** Bare when unambiguous, JSON-quoted when the value holds spaces, quotes, `=` or controls. */
function humanValue(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value)
  return /^[^\s"=\\\p{Cc}]+$/u.test(value) ? value : JSON.stringify(value)
}

/** One event, one line: newlines inside a message would forge extra lines. */
function oneLine(message: string): string {
  return message.replace(/\r/g, '\\r').replace(/\n/g, '\\n')
}

function jsonLine(time: Date, level: LogLevel, message: string, fields: LogFields): string {
  const record: Record<string, string | number | boolean> = {
    time: time.toISOString(),
    level,
    msg: message,
  }
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) record[RESERVED_KEYS.has(key) ? `field.${key}` : key] = value
  }
  return JSON.stringify(record)
}

import type { Clock, Log, LogFields, LogLevel } from '../core/env.js'

/**
 * The simulator's logger: each line starts with the virtual time and the host, so interleaved
 * lines from thousands of hosts still read as one story. Silent by default; a world can collect
 * lines (bounded) or pass them to a sink.
 */

export type SimLogLevel = LogLevel | 'silent'

const RANK: Readonly<Record<SimLogLevel, number>> = {
  debug: 0,
  info: 1,
  warn: 2,
  error: 3,
  silent: 4,
}

/** Where lines go; shared by every host of a world. */
export class SimLogSink {
  readonly rank: number
  private readonly kept: string[] = []

  constructor(
    level: SimLogLevel,
    private readonly linesMax: number,
    private readonly write: ((line: string) => void) | undefined,
  ) {
    this.rank = RANK[level]
  }

  add(line: string): void {
    if (this.write !== undefined) return this.write(line)
    this.kept.push(line)
    if (this.kept.length > this.linesMax) this.kept.splice(0, this.kept.length - this.linesMax)
  }

  /** Collected lines (when no `write` was given), oldest first. */
  lines(): readonly string[] {
    return this.kept
  }
}

const formatFields = (fields: LogFields): string => {
  let out = ''
  for (const key of Object.keys(fields).sort()) {
    const value = fields[key]
    if (value !== undefined) out += ` ${key}=${String(value)}`
  }
  return out
}

export class SimLog implements Log {
  constructor(
    private readonly sink: SimLogSink,
    private readonly clock: Clock,
    private readonly host: string,
    private readonly fields: LogFields = {},
  ) {}

  log(level: LogLevel, message: string, fields?: LogFields): void {
    if (RANK[level] < this.sink.rank) return
    const all = fields === undefined ? this.fields : { ...this.fields, ...fields }
    const time = this.clock.now().toFixed(3).padStart(12)
    this.sink.add(`${time} ${this.host} ${level.padEnd(5)} ${message}${formatFields(all)}`)
  }

  child(fields: LogFields): Log {
    return new SimLog(this.sink, this.clock, this.host, { ...this.fields, ...fields })
  }
}

import { createHash, type Hash } from 'node:crypto'

/**
 * An optional record of what the network did, as deterministic strings (virtual time, hosts,
 * sizes, outcomes; never wall time or object identities). Every line feeds a running SHA-256,
 * so two runs can be compared by `hash()` however long they were; only the last `linesMax`
 * lines are kept for reading. Off by default: formatting lines costs more than the events.
 */

export const TRACE_LINES_MAX_DEFAULT = 10_000

export class SimTrace {
  readonly enabled: boolean
  private readonly linesMax: number
  private readonly kept: string[] = []
  private readonly digest: Hash = createHash('sha256')
  private recorded = 0

  constructor(options: { readonly enabled: boolean; readonly linesMax?: number }) {
    this.enabled = options.enabled
    this.linesMax = options.linesMax ?? TRACE_LINES_MAX_DEFAULT
  }

  /** Records one line; callers check `enabled` first so that a disabled trace costs nothing. */
  record(line: string): void {
    if (!this.enabled) return
    this.recorded++
    this.digest.update(line)
    this.digest.update('\n')
    this.kept.push(line)
    if (this.kept.length > this.linesMax) this.kept.splice(0, this.kept.length - this.linesMax)
  }

  /** Lines recorded so far, including those no longer kept. */
  get count(): number {
    return this.recorded
  }

  /** The last `linesMax` lines, oldest first. */
  lines(): readonly string[] {
    return this.kept
  }

  /** Hex SHA-256 of every line recorded so far; recording may continue afterwards. */
  hash(): string {
    return this.digest.copy().digest('hex')
  }
}

import type { SwarmStats } from '../protocols/bittorrent/swarm/index.js'
import { printLine } from './output.js'
import { progressLine, progressOf } from './progress.js'

/** Plain progress lines (stdout not a terminal) at most this often. */
const PLAIN_EVERY_MS = 5_000

export interface ProgressDisplayOptions {
  readonly json: boolean
  /** The terminal to redraw one line on (stderr when it is a TTY); undefined: plain lines. */
  readonly terminal: NodeJS.WriteStream | undefined
  readonly totalBytes: number
  readonly pieceLength: number
}

/**
 * The live progress of `seed` / `get`: on a terminal, one line redrawn in place that fits its
 * width; elsewhere (a pipe, a log file) a plain line every few seconds; under `--json`
 * nothing (progress events are JSON lines there). The last frame is drawn from the final
 * counters, so a finished download ends on 100 %.
 */
export class ProgressDisplay {
  private lastPlainAt = -Infinity

  constructor(private readonly options: ProgressDisplayOptions) {}

  show(stats: SwarmStats): void {
    if (this.options.json) return
    const terminal = this.options.terminal
    if (terminal !== undefined) {
      terminal.write(`\r${this.line(stats, terminal.columns)}\x1b[K`)
      return
    }
    const now = performance.now()
    if (now - this.lastPlainAt < PLAIN_EVERY_MS) return
    this.lastPlainAt = now
    printLine(this.line(stats, 120))
  }

  /** The final frame, then the cursor on a fresh line. */
  finish(stats: SwarmStats): void {
    if (this.options.json) return
    const terminal = this.options.terminal
    if (terminal === undefined) return printLine(this.line(stats, 120))
    terminal.write(`\r${this.line(stats, terminal.columns)}\x1b[K\n`)
  }

  private line(stats: SwarmStats, columns: number | undefined): string {
    const view = progressOf(stats, this.options.totalBytes, this.options.pieceLength)
    return progressLine(view, columns ?? 80)
  }
}

import { EXIT_INTERRUPTED } from './output.js'

/** How a transfer command ends. */
export type TransferEnd =
  | { readonly kind: 'complete' }
  | { readonly kind: 'interrupted'; readonly signal: NodeJS.Signals }
  | { readonly kind: 'fatal'; readonly error: Error }

/**
 * The three ways out of `seed` / `get`, raced: every wanted piece verified (unless the command
 * stays to seed), a signal (SIGINT, SIGTERM), or a fatal condition (disk full, the listener
 * lost). A second signal while the first one's clean shutdown runs exits at once, as a user
 * pressing Ctrl-C twice expects.
 */
export class TransferEnding {
  private settle: ((end: TransferEnd) => void) | undefined
  private pending: TransferEnd | undefined
  private completed = false
  private stayForever = false

  constructor() {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.once('SIGINT', () => process.exit(EXIT_INTERRUPTED))
      process.once('SIGTERM', () => process.exit(EXIT_INTERRUPTED))
      this.end({ kind: 'interrupted', signal })
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
  }

  complete(): void {
    this.completed = true
    if (!this.stayForever) this.end({ kind: 'complete' })
  }

  fail(error: Error): void {
    this.end({ kind: 'fatal', error })
  }

  /** Resolves with the first end that applies; with `stayForever`, completion is not one. */
  wait(stayForever: boolean): Promise<TransferEnd> {
    this.stayForever = stayForever
    if (this.pending !== undefined) return Promise.resolve(this.pending)
    if (this.completed && !stayForever) return Promise.resolve({ kind: 'complete' })
    return new Promise((resolve) => (this.settle = resolve))
  }

  private end(end: TransferEnd): void {
    if (this.settle !== undefined) {
      const settle = this.settle
      this.settle = undefined
      settle(end)
    } else if (this.pending === undefined && end.kind !== 'complete') {
      // Completion before wait() is remembered by `completed`; wait() decides what it means.
      this.pending = end
    }
  }
}

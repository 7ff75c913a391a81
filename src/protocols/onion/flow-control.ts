/**
 * SENDME flow control (tor-spec §7.3-§7.4). Only DATA cells count. A circuit starts with
 * 1000-cell windows and moves in steps of 100; a stream with 500 and steps of 50. The side
 * that delivers sends a SENDME each time a step's worth has arrived; the side that packages
 * stops at zero and resumes on a SENDME. Circuit SENDMEs are version 1: they echo the digest
 * of the cell that completed the step, so a peer cannot acknowledge cells it never saw.
 */
import { equalBytes } from '../../core/bytes.js'
import type { RemoteFault } from '../../core/errors.js'
import { err, ok, type Result } from '../../core/result.js'

export interface WindowParams {
  readonly start: number
  readonly increment: number
}

export const CIRCUIT_WINDOW: WindowParams = { start: 1000, increment: 100 }
export const STREAM_WINDOW: WindowParams = { start: 500, increment: 50 }

const overrun = (detail: string): RemoteFault => ({ code: 'limit_exceeded', detail })

/** The receiving side: counts DATA cells and says when to acknowledge. */
export class DeliverWindow {
  private window: number

  constructor(private readonly params: WindowParams) {
    this.window = params.start
  }

  get remaining(): number {
    return this.window
  }

  /** One DATA cell arrived; a cell beyond the window is a protocol violation. */
  onData(): Result<void, RemoteFault> {
    if (this.window <= 0) return err(overrun('DATA beyond the deliver window'))
    this.window--
    return ok(undefined)
  }

  /**
   * Whether a SENDME is due now (a whole increment was delivered and consumed); if so the
   * window reopens by one increment. Streams call this only once the application has taken
   * the data, so a reader that stops reading stops the sender.
   */
  takeSendme(): boolean {
    if (this.window > this.params.start - this.params.increment) return false
    this.window += this.params.increment
    return true
  }
}

/** The sending side: may package while the window is open; SENDMEs reopen it. */
export class PackageWindow {
  private window: number
  /** Digests of the cells that end each step, oldest first (circuit level only). */
  private readonly expectedDigests: Uint8Array[] = []

  constructor(private readonly params: WindowParams) {
    this.window = params.start
  }

  get remaining(): number {
    return this.window
  }

  get canSend(): boolean {
    return this.window > 0
  }

  /** A DATA cell left; `digest` is its 20-byte running digest (kept when it ends a step). */
  onSent(digest?: Uint8Array): void {
    if (this.window <= 0) throw new RangeError('sent beyond the package window')
    if (digest !== undefined && (this.window - 1) % this.params.increment === 0)
      this.expectedDigests.push(digest)
    this.window--
  }

  /**
   * A SENDME arrived. A window pushed above its start, or a v1 digest that matches no cell
   * we sent, is refused.
   */
  onSendme(digest?: Uint8Array): Result<void, RemoteFault> {
    if (this.window + this.params.increment > this.params.start)
      return err(overrun('SENDME beyond the window start'))
    if (digest !== undefined) {
      const expected = this.expectedDigests.shift()
      if (expected !== undefined && !equalBytes(expected, digest))
        return err({ code: 'malformed', detail: 'SENDME v1 digest mismatch' })
    }
    this.window += this.params.increment
    return ok(undefined)
  }
}

/** A relay accepts at most 8 RELAY_EARLY cells per circuit (tor-spec §5.6). */
export const RELAY_EARLY_MAX = 8

export class RelayEarlyBudget {
  private used = 0

  /** Counts one RELAY_EARLY cell; refuses the ninth and later. */
  take(): Result<void, RemoteFault> {
    if (this.used >= RELAY_EARLY_MAX)
      return err(overrun(`more than ${RELAY_EARLY_MAX} RELAY_EARLY cells`))
    this.used++
    return ok(undefined)
  }

  get remaining(): number {
    return RELAY_EARLY_MAX - this.used
  }
}

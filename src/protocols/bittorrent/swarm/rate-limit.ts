/**
 * A token bucket for one direction of one torrent's traffic, pure and driven by `now` like
 * the rest of the core: tokens (bytes) accrue at `rate` bytes/s up to `burst`, and whoever
 * sends takes them first. No timers: `readyAt` says when enough tokens will be there, and
 * the caller sets its own deadline for that instant.
 *
 * - `rate` 0 or undefined: unlimited (every take succeeds, nothing ever waits).
 * - `burst` is one second's worth, and never less than `burstMin` (one block and its header),
 *   so the largest single take is always possible eventually.
 * - The bucket starts EMPTY: the first second after construction already obeys the rate.
 * - `spend` may drive the balance below zero (a whole piece requested on parole, say); the
 *   debt is paid back by time before anything else is allowed.
 */
import { assert } from '../../../core/errors.js'
import type { Instant } from '../../../core/time.js'

/**
 * Rounding slack, relative to the burst: at an instant from `readyAt` the bucket affords what
 * it was asked for even after floating-point error (every check uses the same slack).
 */
const EPSILON = 1e-9

export interface TokenBucketOptions {
  /** Bytes per second; 0 or undefined = unlimited. */
  readonly rate?: number | undefined
  /** The smallest burst: the largest single take the caller will make. */
  readonly burstMin: number
}

export class TokenBucket {
  /** Bytes per second; 0 when unlimited. */
  readonly rate: number
  /** The most tokens the bucket holds. */
  readonly burst: number
  private tokens = 0
  private updatedAt: Instant
  private readonly epsilon: number

  constructor(options: TokenBucketOptions, now: Instant) {
    const rate = options.rate ?? 0
    assert(Number.isFinite(rate) && rate >= 0, `bad rate ${rate}`)
    this.rate = rate
    this.burst = Math.max(rate, options.burstMin)
    this.epsilon = EPSILON * this.burst + EPSILON
    this.updatedAt = now
  }

  get unlimited(): boolean {
    return this.rate === 0
  }

  /** How many takes of `unit` bytes the bucket affords at `now`; Infinity when unlimited. */
  affordable(now: Instant, unit: number): number {
    if (this.unlimited) return Number.POSITIVE_INFINITY
    this.refill(now)
    return Math.max(0, Math.floor((this.tokens + this.epsilon) / unit))
  }

  /** Takes `bytes` if the bucket holds them; false (and nothing taken) otherwise. */
  take(now: Instant, bytes: number): boolean {
    if (this.unlimited) return true
    this.refill(now)
    if (this.tokens + this.epsilon < bytes) return false
    this.tokens -= bytes
    return true
  }

  /** Takes `bytes` whatever the balance: it may go negative. */
  spend(now: Instant, bytes: number): void {
    if (this.unlimited) return
    this.refill(now)
    this.tokens -= bytes
  }

  /**
   * The first whole millisecond at which `bytes` tokens are available, counted from the last
   * `now` the bucket saw; that instant itself when they already are, undefined when unlimited.
   */
  readyAt(bytes: number): Instant | undefined {
    if (this.unlimited) return undefined
    const deficit = Math.min(bytes, this.burst) - this.tokens
    if (deficit <= this.epsilon) return this.updatedAt
    return (this.updatedAt + Math.ceil((deficit * 1000) / this.rate)) as Instant
  }

  private refill(now: Instant): void {
    if (now <= this.updatedAt) return
    const gained = ((now - this.updatedAt) * this.rate) / 1000
    this.tokens = Math.min(this.burst, this.tokens + gained)
    this.updatedAt = now
  }
}

/**
 * A token bucket for one direction of traffic, pure and driven by `now` like
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
 *
 * Each core builds one bucket per direction for its torrent; a caller may also share one
 * global bucket per direction between every core of a process (`globalRateLimiter`). A
 * `Throttle` puts the two together: a take must be affordable in both and takes from both.
 */
import { assert } from '../../../core/errors.js'
import type { Instant } from '../../../core/time.js'
import { BLOCK_BYTES, PIECE_HEADER_BYTES } from '../wire/index.js'

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
  private rateNow = 0
  /** The most tokens the bucket holds. */
  private burstNow = 0
  private tokens = 0
  private updatedAt: Instant
  private epsilon = 0
  private readonly burstMin: number

  constructor(options: TokenBucketOptions, now: Instant) {
    this.burstMin = options.burstMin
    this.updatedAt = now
    this.configure(options.rate ?? 0)
  }

  /** Bytes per second; 0 when unlimited. */
  get rate(): number {
    return this.rateNow
  }

  /** The most tokens the bucket holds. */
  get burst(): number {
    return this.burstNow
  }

  /**
   * Changes the rate at `now` (a peer-wide limit set at run time). Tokens earned so far at the
   * old rate are kept, up to the new burst; a bucket made unlimited forgets its debt, and one
   * limited anew starts empty, as a new bucket does.
   */
  setRate(now: Instant, rate: number): void {
    if (!this.unlimited) this.refill(now)
    const wasUnlimited = this.unlimited
    this.configure(rate)
    this.updatedAt = now
    if (this.unlimited || wasUnlimited) this.tokens = 0
    else this.tokens = Math.min(this.tokens, this.burstNow)
  }

  private configure(rate: number): void {
    assert(Number.isFinite(rate) && rate >= 0, `bad rate ${rate}`)
    this.rateNow = rate
    this.burstNow = Math.max(rate, this.burstMin)
    this.epsilon = EPSILON * this.burstNow + EPSILON
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

  /** Whether the bucket holds `bytes` at `now` (always when unlimited); takes nothing. */
  affords(now: Instant, bytes: number): boolean {
    if (this.unlimited) return true
    this.refill(now)
    return this.tokens + this.epsilon >= bytes
  }

  /** Takes `bytes` if the bucket holds them; false (and nothing taken) otherwise. */
  take(now: Instant, bytes: number): boolean {
    if (!this.affords(now, bytes)) return false
    this.spend(now, bytes)
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

/**
 * A bucket shared by every core of one process for one direction (pass it as
 * `SwarmOptions.globalUploadLimiter` or `globalDownloadLimiter`); its burst holds the largest
 * take of either direction (a block and its piece header). `rate` 0 = unlimited.
 */
export function globalRateLimiter(rate: number, now: Instant): TokenBucket {
  return new TokenBucket({ rate, burstMin: BLOCK_BYTES + PIECE_HEADER_BYTES }, now)
}

/**
 * The buckets one direction of one torrent passes: its own and the process's global one,
 * either absent or unlimited. A take must be affordable in every limited bucket and takes from
 * all of them, and `readyAt` is the latest of their instants (when all of them afford it).
 * The global bucket may be spent by other cores between two calls, so a waiter re-checks at
 * that instant and, still short, waits for the new one.
 */
export class Throttle {
  /**
   * Unlimited buckets are kept (each of their methods answers "no limit"): a shared bucket's
   * rate may change at run time (`setRate`), so whether it limits is asked at every call.
   */
  private readonly buckets: readonly TokenBucket[]

  constructor(buckets: readonly (TokenBucket | undefined)[]) {
    this.buckets = buckets.filter((b): b is TokenBucket => b !== undefined)
  }

  /** No limited bucket: every take succeeds, nothing ever waits. */
  get unlimited(): boolean {
    for (const bucket of this.buckets) if (!bucket.unlimited) return false
    return true
  }

  /** The fewest takes of `unit` bytes any bucket affords at `now`; Infinity when unlimited. */
  affordable(now: Instant, unit: number): number {
    let fewest = Number.POSITIVE_INFINITY
    for (const bucket of this.buckets) fewest = Math.min(fewest, bucket.affordable(now, unit))
    return fewest
  }

  /** Takes `bytes` from every bucket if all hold them; false (and nothing taken) otherwise. */
  take(now: Instant, bytes: number): boolean {
    for (const bucket of this.buckets) if (!bucket.affords(now, bytes)) return false
    this.spend(now, bytes)
    return true
  }

  /** Takes `bytes` from every bucket whatever their balance. */
  spend(now: Instant, bytes: number): void {
    for (const bucket of this.buckets) bucket.spend(now, bytes)
  }

  /** The first instant at which every bucket affords `bytes`; undefined when unlimited. */
  readyAt(bytes: number): Instant | undefined {
    let latest: Instant | undefined
    for (const bucket of this.buckets) {
      const at = bucket.readyAt(bytes)
      if (at !== undefined && (latest === undefined || at > latest)) latest = at
    }
    return latest
  }
}

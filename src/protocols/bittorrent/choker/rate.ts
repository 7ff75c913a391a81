import { assert } from '../../../core/errors.js'
import { seconds, type Duration, type Instant } from '../../../core/time.js'

/**
 * Bytes per second over a sliding window, kept as a ring of fixed-width buckets (20 s of 1 s
 * buckets by default: the original client "essentially uses a rolling 20-second average").
 * A running sum makes `add` and `rate` O(1), plus clearing the buckets that time has moved
 * past (at most one window's worth). Time comes in as `now`; the meter never reads a clock.
 *
 * The window is the current (partial) bucket and the ones before it, `window / bucket` in
 * all, so it spans between `window - bucket` and `window` of time. The rate divides the
 * bytes in those buckets by the time they cover: from the later of the oldest bucket's
 * start and the meter's creation up to `now`, and never less than one bucket. So a young
 * meter is not diluted by time before it existed, and one burst does not read as an absurd
 * rate a millisecond later. An exponential moving average would be smoother; a window
 * makes "what did this peer send in the last 20 s" exact, which is what tit-for-tat ranks.
 */
export interface RateMeterOptions {
  readonly window: Duration
  readonly bucket: Duration
}

export const RATE_WINDOW_DEFAULT: RateMeterOptions = { window: seconds(20), bucket: seconds(1) }

export class RateMeter {
  /**
   * A plain array, not a Float64Array: a typed array this size gets its own off-heap backing
   * store, and a swarm that opens tens of thousands of connections pays for each in GC.
   */
  private readonly buckets: number[]
  private readonly bucketMs: number
  /** Index (time / bucket) of the newest bucket. */
  private head: number
  /** Bytes in the buckets: integers, so the running sum stays exact below 2^53. */
  private bytesInWindow = 0
  private bytesTotal = 0

  constructor(
    private readonly createdAt: Instant,
    options: RateMeterOptions = RATE_WINDOW_DEFAULT,
  ) {
    assert(options.bucket > 0 && options.window >= options.bucket, 'bad rate meter window')
    this.bucketMs = options.bucket
    this.buckets = new Array<number>(Math.ceil(options.window / options.bucket)).fill(0)
    this.head = Math.floor(createdAt / this.bucketMs)
  }

  /** Every byte ever added. */
  get total(): number {
    return this.bytesTotal
  }

  /** Records `bytes` transferred at `now`. */
  add(now: Instant, bytes: number): void {
    assert(bytes >= 0, `negative byte count ${bytes}`)
    this.advance(now)
    const slot = this.head % this.buckets.length
    this.buckets[slot] = (this.buckets[slot] as number) + bytes
    this.bytesInWindow += bytes
    this.bytesTotal += bytes
  }

  /** Bytes per second over the window ending at `now`. */
  rate(now: Instant): number {
    this.advance(now)
    const sum = this.bytesInWindow
    if (sum === 0) return 0
    const oldestStart = (this.head - this.buckets.length + 1) * this.bucketMs
    const span = Math.max(this.bucketMs, now - Math.max(oldestStart, this.createdAt))
    return (sum * 1000) / span
  }

  private advance(now: Instant): void {
    const current = Math.floor(now / this.bucketMs)
    // A stale `now` (earlier than the newest bucket) counts into the newest bucket.
    if (current <= this.head) return
    const steps = Math.min(current - this.head, this.buckets.length)
    for (let i = 1; i <= steps; i++) {
      const slot = (this.head + i) % this.buckets.length
      this.bytesInWindow -= this.buckets[slot] as number
      this.buckets[slot] = 0
    }
    this.head = current
  }
}

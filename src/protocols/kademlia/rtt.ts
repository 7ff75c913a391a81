/**
 * One RTT estimate for all requests (RFC 6298 smoothing), giving the adaptive request timeout
 * `srtt + 4 * rttvar` clamped to [min, max]. One estimate rather than one per node: a DHT
 * talks to most nodes once, so per-node estimates would rarely have a sample.
 *
 * It also keeps the last few samples for a percentile (the lookups' short timeout: a query
 * slower than most answers is probably lost or far away, so the lookup asks another node
 * meanwhile). They are kept as whole milliseconds in a small ring: the simulator holds 100,000
 * of these.
 */
import type { Duration } from '../../core/time.js'

/** Samples the percentile is taken over. */
const RECENT_SAMPLES = 32
/** Fewer samples than this: no percentile yet. */
const PERCENTILE_SAMPLES_MIN = 8
/** The percentile is recomputed after this many new samples (sorting 32 numbers per query would be waste). */
const PERCENTILE_EVERY = 8

export class RttEstimate {
  private srtt: number | undefined
  private rttvar = 0
  private readonly recent = new Uint16Array(RECENT_SAMPLES)
  private samples = 0
  private cachedQuantile = -1
  private cachedValue: number | undefined
  private cachedAtSample = 0

  constructor(
    private readonly min: Duration,
    private readonly max: Duration,
    private readonly initial: Duration,
  ) {}

  sample(rttMs: number): void {
    this.recent[this.samples % RECENT_SAMPLES] = Math.min(0xffff, Math.max(0, Math.round(rttMs)))
    this.samples++
    if (this.srtt === undefined) {
      this.srtt = rttMs
      this.rttvar = rttMs / 2
      return
    }
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rttMs)
    this.srtt = 0.875 * this.srtt + 0.125 * rttMs
  }

  timeout(): Duration {
    const raw = this.srtt === undefined ? this.initial : this.srtt + 4 * this.rttvar
    return Math.min(this.max, Math.max(this.min, Math.round(raw))) as Duration
  }

  get smoothedMs(): number | undefined {
    return this.srtt
  }

  /**
   * The `q` quantile (0..1) of the last samples, in ms; undefined before there are enough.
   * Recomputed every few samples, so it lags a little behind the newest.
   */
  quantileMs(q: number): number | undefined {
    const count = Math.min(this.samples, RECENT_SAMPLES)
    if (count < PERCENTILE_SAMPLES_MIN) return undefined
    if (q === this.cachedQuantile && this.samples - this.cachedAtSample < PERCENTILE_EVERY) {
      return this.cachedValue
    }
    const sorted = this.recent.slice(0, count).sort()
    this.cachedValue = sorted[Math.min(count - 1, Math.floor(q * count))] as number
    this.cachedQuantile = q
    this.cachedAtSample = this.samples
    return this.cachedValue
  }
}

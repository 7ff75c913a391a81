import { ms, type Duration } from '../../core/time.js'

/**
 * Smoothed round-trip time and retransmission timeout after RFC 6298 (alpha 1/8, beta 1/4,
 * RTO = SRTT + 4 * RTTVAR, clamped). Pure: feed samples, read the estimate. Kademlia lookups
 * and BitTorrent request timeouts reuse it for adaptive per-peer timeouts.
 */
export interface RttBounds {
  readonly rtoMin: Duration
  readonly rtoMax: Duration
  /** Before any sample. */
  readonly rtoInitial: Duration
}

export const DEFAULT_RTT_BOUNDS: RttBounds = {
  rtoMin: ms(200),
  rtoMax: ms(60_000),
  rtoInitial: ms(1_000),
}

export class RttEstimator {
  private srtt: number | undefined
  private rttvar = 0
  private samples = 0

  constructor(private readonly bounds: RttBounds = DEFAULT_RTT_BOUNDS) {}

  /** Records one round-trip sample in milliseconds (negative samples are a caller bug). */
  sample(rttMs: number): void {
    if (!(rttMs >= 0)) throw new RangeError(`RTT sample must be >= 0, got ${rttMs}`)
    this.samples++
    if (this.srtt === undefined) {
      this.srtt = rttMs
      this.rttvar = rttMs / 2
      return
    }
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rttMs)
    this.srtt = 0.875 * this.srtt + 0.125 * rttMs
  }

  get smoothedMs(): number | undefined {
    return this.srtt
  }

  get sampleCount(): number {
    return this.samples
  }

  /** The retransmission timeout to use now. */
  rto(): Duration {
    if (this.srtt === undefined) return this.bounds.rtoInitial
    const raw = this.srtt + Math.max(1, 4 * this.rttvar)
    return ms(Math.min(this.bounds.rtoMax, Math.max(this.bounds.rtoMin, raw)))
  }
}

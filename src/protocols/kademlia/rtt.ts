/**
 * One RTT estimate for all requests (RFC 6298 smoothing), giving the adaptive request timeout
 * `srtt + 4 * rttvar` clamped to [min, max]. One estimate rather than one per node: a DHT
 * talks to most nodes once, so per-node estimates would rarely have a sample.
 */
import type { Duration } from '../../core/time.js'

export class RttEstimate {
  private srtt: number | undefined
  private rttvar = 0

  constructor(
    private readonly min: Duration,
    private readonly max: Duration,
    private readonly initial: Duration,
  ) {}

  sample(rttMs: number): void {
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
}

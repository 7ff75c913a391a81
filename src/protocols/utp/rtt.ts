/**
 * Round-trip time and retransmission timeout as RFC 6298 (and libutp, libtorrent) compute
 * them: smoothed RTT with gain 1/8, variance with gain 1/4, RTO = SRTT + 4 * RTTVAR, never
 * below `RTO_MIN_MS` (libtorrent's `utp_min_timeout`, 500 ms) nor above `RTO_MAX_MS`. Samples
 * come only from packets sent once (Karn), so a retransmission cannot fake a short RTT.
 */

export const RTO_MIN_MS = 500
export const RTO_MAX_MS = 60_000
export const RTO_INITIAL_MS = 1000

export class RttEstimator {
  srtt: number | undefined
  rttVar = 0
  /** The timeout before back-off. */
  private baseRto = RTO_INITIAL_MS
  /** Doubles on each timeout in a row; reset by the next ack. */
  private backoff = 1

  sample(rttMs: number): void {
    if (this.srtt === undefined) {
      this.srtt = rttMs
      this.rttVar = rttMs / 2
    } else {
      this.rttVar += (Math.abs(this.srtt - rttMs) - this.rttVar) / 4
      this.srtt += (rttMs - this.srtt) / 8
    }
    this.baseRto = clamp(this.srtt + 4 * this.rttVar)
  }

  get rto(): number {
    return clamp(this.baseRto * this.backoff)
  }

  backOff(): void {
    this.backoff = Math.min(this.backoff * 2, 1 << 10)
  }

  progress(): void {
    this.backoff = 1
  }
}

const clamp = (ms: number): number => Math.min(RTO_MAX_MS, Math.max(RTO_MIN_MS, ms))

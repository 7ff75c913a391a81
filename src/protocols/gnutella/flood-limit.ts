/**
 * Per-connection query rate limit: a token bucket of `burst` queries refilled at
 * `perSecond`. Queries beyond it are dropped (counted), so one connection cannot make us
 * flood the network on its behalf. Time comes in as `now` (ms).
 */
export class TokenBucket {
  private tokens: number
  private updatedAt: number

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst
    this.updatedAt = now
  }

  take(now: number): boolean {
    const refill = ((now - this.updatedAt) / 1000) * this.perSecond
    this.tokens = Math.min(this.burst, this.tokens + refill)
    this.updatedAt = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}

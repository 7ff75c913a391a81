/**
 * Per-source-IP token buckets against query floods: each IP may send `burst` queries at once
 * and `perSecond` on average. The table of sources is bounded; when full, the least recently
 * seen source is forgotten (a Map iterates in insertion order, and a source is re-inserted on
 * every query), so a spoofing flood cannot grow memory.
 */
import type { Instant } from '../../core/time.js'

interface SourceBucket {
  tokens: number
  at: number
}

/** Sources tracked before each query also sweeps idle ones. */
const IDLE_SWEEP_ABOVE = 32

export class RateLimiter {
  private readonly sources = new Map<string, SourceBucket>()
  dropped = 0

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly sourcesMax: number,
  ) {}

  /** True when a query from `host` may be answered now; false counts a drop. */
  allow(now: Instant, host: string): boolean {
    // A few sources cost little; beyond, two idle ones go per query (housekeeping takes the rest).
    if (this.sources.size > IDLE_SWEEP_ABOVE) this.forgetIdle(now)
    let bucket = this.sources.get(host)
    if (bucket === undefined) {
      bucket = { tokens: this.burst, at: now }
      if (this.sources.size >= this.sourcesMax) {
        const oldest = this.sources.keys().next()
        if (oldest.done !== true) this.sources.delete(oldest.value)
      }
    } else {
      this.sources.delete(host)
      bucket.tokens = Math.min(
        this.burst,
        bucket.tokens + ((now - bucket.at) * this.perSecond) / 1000,
      )
      bucket.at = now
    }
    this.sources.set(host, bucket)
    if (bucket.tokens < 1) {
      this.dropped++
      return false
    }
    bucket.tokens -= 1
    return true
  }

  /**
   * Drops up to `max` of the least recently seen sources whose bucket has refilled: they are
   * indistinguishable from new sources, and keeping them would hold memory per source ever
   * seen. Two per query; all of them at housekeeping, since a node that falls quiet would
   * otherwise keep every source of its last busy minute (a simulated node among 100,000 is
   * queried by a few dozen sources and then seldom again).
   */
  forgetIdle(now: Instant, max = 2): void {
    const refillMs = (this.burst / this.perSecond) * 1000
    for (let i = 0; i < max; i++) {
      const oldest = this.sources.entries().next()
      if (oldest.done === true || now - oldest.value[1].at < refillMs) return
      this.sources.delete(oldest.value[0])
    }
  }

  get tracked(): number {
    return this.sources.size
  }
}

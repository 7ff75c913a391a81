/**
 * A token bucket per source, in a bounded table: a source that floods spends its own bucket and
 * then costs one map lookup per request. Sources are IPv4 hosts and IPv6 /64 prefixes (one
 * IPv6 host commonly owns a whole /64, so per-address buckets would be free to multiply).
 *
 * The table keeps the `sourcesMax` most recently seen sources (a Map in recency order). A flood
 * of spoofed sources evicts quiet ones, which then start again with a full bucket: the limiter
 * fails open for them rather than locking anyone out.
 */
import type { Address } from '../../../core/address.js'
import { toHex } from '../../../core/bytes.js'
import type { Instant } from '../../../core/time.js'
import type { RateLimitConfig } from './config.js'
import { peerAddress } from './peer-address.js'

interface Bucket {
  tokens: number
  at: number
}

export interface RateLimiterStats {
  readonly admitted: number
  readonly dropped: number
  readonly sources: number
}

/** The bucket key of a source: the IPv4 host, the IPv6 /64, or the raw text when unparsable. */
export function sourceKey(remote: Address): string {
  const parsed = peerAddress(remote.host, 0)
  if (parsed === undefined) return remote.host
  if (parsed.family === 'ipv4') return toHex(parsed.addr.subarray(0, 4))
  return `6:${toHex(parsed.addr.subarray(0, 8))}`
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()
  private admitted = 0
  private dropped = 0

  constructor(private readonly config: RateLimitConfig) {}

  /** Spends one token of `remote`'s source; false (and counted) when it has none left. */
  admit(remote: Address, now: Instant): boolean {
    const { perSecond, burst, sourcesMax } = this.config
    // perSecond 0 switches the limit off (benchmarks, trackers behind their own limiter).
    if (perSecond === 0) {
      this.admitted++
      return true
    }
    const key = sourceKey(remote)
    let bucket = this.buckets.get(key)
    if (bucket === undefined) {
      if (this.buckets.size >= sourcesMax) {
        const oldest = this.buckets.keys().next()
        if (oldest.done !== true) this.buckets.delete(oldest.value)
      }
      bucket = { tokens: burst, at: now }
    } else {
      // Re-insert so the Map's order stays least recently seen first.
      this.buckets.delete(key)
      const refill = (Math.max(0, now - bucket.at) / 1000) * perSecond
      bucket.tokens = Math.min(burst, bucket.tokens + refill)
      bucket.at = now
    }
    this.buckets.set(key, bucket)
    if (bucket.tokens < 1) {
      this.dropped++
      return false
    }
    bucket.tokens -= 1
    this.admitted++
    return true
  }

  stats(): RateLimiterStats {
    return { admitted: this.admitted, dropped: this.dropped, sources: this.buckets.size }
  }
}

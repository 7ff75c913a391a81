import type { Clock } from '../core/env.js'
import {
  blockBytesMaxOf,
  TokenBucket,
  type SwarmConfig,
} from '../protocols/bittorrent/swarm/index.js'
import { PIECE_HEADER_BYTES } from '../protocols/bittorrent/wire/index.js'

export interface RateLimits {
  /** Bytes per second, 0 = unlimited. */
  readonly uploadRateLimit: number
  readonly downloadRateLimit: number
}

/**
 * The peer-wide rate limits: one token bucket per direction, passed to every torrent's swarm
 * core (`globalUploadLimiter` / `globalDownloadLimiter`), which takes from it on top of its
 * own. Torrents waiting for tokens retry at the instant the bucket affords their next block,
 * so they share it in turn rather than first come, first served. `set` changes the rates at
 * run time for every torrent at once.
 */
export class SharedRateLimits {
  readonly upload: TokenBucket
  readonly download: TokenBucket

  constructor(
    private readonly clock: Clock,
    limits: RateLimits,
    swarm: SwarmConfig,
  ) {
    // The burst must hold the largest single take of any torrent: a block and its header.
    const burstMin = blockBytesMaxOf(swarm) + PIECE_HEADER_BYTES
    const now = clock.now()
    this.upload = new TokenBucket({ rate: limits.uploadRateLimit, burstMin }, now)
    this.download = new TokenBucket({ rate: limits.downloadRateLimit, burstMin }, now)
  }

  set(limits: Partial<RateLimits>): void {
    const now = this.clock.now()
    if (limits.uploadRateLimit !== undefined) this.upload.setRate(now, limits.uploadRateLimit)
    if (limits.downloadRateLimit !== undefined) {
      this.download.setRate(now, limits.downloadRateLimit)
    }
  }

  get(): RateLimits {
    return { uploadRateLimit: this.upload.rate, downloadRateLimit: this.download.rate }
  }
}

/** Rates the API accepts: whole bytes per second, 0 (unlimited) up to 1 TiB/s. */
export function isValidRate(rate: number): boolean {
  return Number.isSafeInteger(rate) && rate >= 0 && rate <= 2 ** 40
}

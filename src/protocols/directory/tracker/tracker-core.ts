/**
 * The directory's tracker in one object: the swarm registry, the HTTP handlers, the BEP 15
 * `DatagramCore`, the per-source rate limiter, stats for the index and the expiry timer.
 *
 * Driver contract:
 * - HTTP: call `admit(remote, now)` first (false: drop or answer 429 cheaply), then send
 *   `handleHttpAnnounce` / `handleHttpScrape`'s body with status 200 and
 *   `Content-Type: text/plain`. The handlers do not call `admit` themselves.
 * - UDP: `attach(tracker.udp, rawDatagramCodec, ...)`. The UDP core applies `admit` itself.
 * - Timer: `timeout(now)` at `nextTimeout()`. The UDP core's `timeout` / `nextTimeout` are the
 *   same schedule, so a driver that attaches UDP gets expiry for free; an HTTP-only driver
 *   re-arms at `nextTimeout()` after each handler call. Calling both is harmless.
 * - Index: `takeChangedSwarms()` now and then, then `countsOf` for each (undefined: the swarm
 *   is gone; keep the stored counts as they were or zero the peers).
 */
import type { Address } from '../../../core/address.js'
import type { Hashing } from '../../../core/env.js'
import type { Random } from '../../../core/random.js'
import { after, type Instant } from '../../../core/time.js'
import { trackerConfig, type TrackerConfig } from './config.js'
import { ConnectionIds } from './connection-ids.js'
import { httpAnnounce, httpScrape } from './http-handlers.js'
import { RateLimiter, type RateLimiterStats } from './rate-limiter.js'
import { SwarmRegistry, type SwarmCounts, type TrackerTotals } from './swarm-registry.js'
import { UdpTrackerCore, type SweepSchedule, type UdpTrackerStats } from './udp-core.js'

export interface TrackerCoreOptions {
  /** Randomness for peer sampling, the connection-id secret and the index hash seed. */
  readonly random: Random
  readonly hashing: Hashing
  readonly config?: Partial<TrackerConfig>
}

export interface HttpTrackerStats {
  readonly announces: number
  readonly scrapes: number
  /** Requests answered with a `failure reason`. */
  readonly failures: number
}

export interface TrackerStats {
  readonly http: HttpTrackerStats
  readonly udp: UdpTrackerStats
  readonly rateLimit: RateLimiterStats
  /** Peers dropped by expiry since start. */
  readonly expired: number
}

export class TrackerCore {
  readonly config: TrackerConfig
  readonly registry: SwarmRegistry
  readonly limiter: RateLimiter
  /** The BEP 15 side; bind it with `attach(tracker.udp, rawDatagramCodec, ...)`. */
  readonly udp: UdpTrackerCore
  private nextSweep: Instant | undefined
  private expired = 0
  private readonly http = { announces: 0, scrapes: 0, failures: 0 }

  constructor(options: TrackerCoreOptions) {
    this.config = trackerConfig(options.config)
    this.registry = new SwarmRegistry(this.config, options.random.fork('tracker-registry'))
    this.limiter = new RateLimiter(this.config.rateLimit)
    const connectionIds = new ConnectionIds(
      options.hashing,
      options.random.fork('tracker-connection-ids'),
      this.config.connectionEpoch,
    )
    const schedule: SweepSchedule = {
      touch: (now) => this.touch(now),
      timeout: (now) => this.timeout(now),
      nextTimeout: () => this.nextTimeout(),
    }
    this.udp = new UdpTrackerCore({
      config: this.config,
      registry: this.registry,
      connectionIds,
      limiter: this.limiter,
      schedule,
    })
  }

  /** The bencoded body of an announce answer or refusal (send with HTTP 200). */
  handleHttpAnnounce(rawQuery: string, remote: Address, now: Instant): Uint8Array {
    this.touch(now)
    this.http.announces++
    const answer = httpAnnounce(this.registry, this.config, rawQuery, remote, now)
    if (answer.failure !== undefined) this.http.failures++
    return answer.body
  }

  /** The bencoded body of a scrape answer or refusal (send with HTTP 200). */
  handleHttpScrape(rawQuery: string, remote: Address, now: Instant): Uint8Array {
    void remote // Scrapes are not per-source today; the parameter keeps the API symmetric.
    this.touch(now)
    this.http.scrapes++
    const answer = httpScrape(this.registry, this.config, rawQuery)
    if (answer.failure !== undefined) this.http.failures++
    return answer.body
  }

  /** The shared per-source rate limit; false means drop the request. */
  admit(remote: Address, now: Instant): boolean {
    return this.limiter.admit(remote, now)
  }

  countsOf(infoHash: Uint8Array): SwarmCounts | undefined {
    return this.registry.countsOf(infoHash)
  }

  takeChangedSwarms(): Uint8Array[] {
    return this.registry.takeChangedSwarms()
  }

  totals(): TrackerTotals {
    return this.registry.totals()
  }

  /** Private mode: allow an info-hash (its swarm exists from now on, with zero counts). */
  allow(infoHash: Uint8Array): void {
    this.registry.allow(infoHash)
  }

  disallow(infoHash: Uint8Array): void {
    this.registry.disallow(infoHash)
  }

  /** Restores a persisted `completed` counter after a restart. */
  setCompleted(infoHash: Uint8Array, completed: number): void {
    this.registry.setCompleted(infoHash, completed)
  }

  /** Drops expired peers now, whatever the schedule; returns how many. */
  expire(now: Instant): number {
    const removed = this.registry.sweep(now)
    this.expired += removed
    this.nextSweep = after(now, this.config.sweepEvery)
    return removed
  }

  timeout(now: Instant): void {
    if (this.nextSweep !== undefined && now >= this.nextSweep) this.expire(now)
  }

  /** Undefined until the first request; then one sweep every `sweepEvery`. */
  nextTimeout(): Instant | undefined {
    return this.nextSweep
  }

  stats(): TrackerStats {
    return {
      http: { ...this.http },
      udp: this.udp.stats(),
      rateLimit: this.limiter.stats(),
      expired: this.expired,
    }
  }

  private touch(now: Instant): void {
    this.nextSweep ??= after(now, this.config.sweepEvery)
  }
}

/**
 * BEP 12 tracker tiers as a policy object (no outputs, no timers). The announce list is read
 * once: duplicates and empty entries are dropped, each tier is shuffled ("shuffled randomly
 * when first read"), and from then on the order only changes by promotion: a tracker that
 * answers moves to the front of its tier. An announce tries trackers in order, tier by tier,
 * so a later tier is used only when every tracker before it has failed.
 *
 * We add one thing to BEP 12: a tracker that failed sits out its backoff (`retryAt`), so a dead
 * first tier costs one timeout per backoff period instead of one per announce.
 */
import type { Random } from '../../../core/random.js'
import { instant, type Instant } from '../../../core/time.js'

export interface TrackerState {
  readonly url: string
  /** The tracker's `tracker id`, echoed back on later announces. */
  trackerId?: Uint8Array
  /** Failures in a row; 0 after a success. */
  failures: number
  /** Not to be tried before this (backoff after failures). */
  retryAt: Instant
  /** A `started` from us was accepted, so it lists us until we say `stopped`. */
  startSent: boolean
}

export class TrackerTiers {
  private readonly tiers: TrackerState[][]

  constructor(announceList: readonly (readonly string[])[], random: Random, trackersMax: number) {
    const seen = new Set<string>()
    this.tiers = []
    for (const urls of announceList) {
      const tier: TrackerState[] = []
      for (const raw of urls) {
        const url = raw.trim()
        if (url.length === 0 || seen.has(url) || seen.size >= trackersMax) continue
        seen.add(url)
        tier.push({ url, failures: 0, retryAt: instant(0), startSent: false })
      }
      shuffle(tier, random)
      if (tier.length > 0) this.tiers.push(tier)
    }
  }

  /** The first tracker, in tier order, that may be tried at `now`. */
  firstReady(now: Instant): TrackerState | undefined {
    for (const tier of this.tiers) {
      for (const tracker of tier) if (tracker.retryAt <= now) return tracker
    }
    return undefined
  }

  /** When the next tracker comes out of backoff (undefined when there are no trackers). */
  earliestRetry(): Instant | undefined {
    let earliest: Instant | undefined
    for (const tracker of this.all()) {
      if (earliest === undefined || tracker.retryAt < earliest) earliest = tracker.retryAt
    }
    return earliest
  }

  /** BEP 12: a tracker that answered moves to the front of its tier. */
  promote(tracker: TrackerState): void {
    for (const tier of this.tiers) {
      const at = tier.indexOf(tracker)
      if (at <= 0) continue
      tier.splice(at, 1)
      tier.unshift(tracker)
      return
    }
  }

  all(): TrackerState[] {
    return this.tiers.flat()
  }

  /** The URLs in their current order, tier by tier. */
  urls(): string[][] {
    return this.tiers.map((tier) => tier.map((tracker) => tracker.url))
  }
}

/** Fisher-Yates with the injected Random, so a seed gives the same order every run. */
function shuffle<T>(items: T[], random: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1)
    const item = items[i] as T
    items[i] = items[j] as T
    items[j] = item
  }
}

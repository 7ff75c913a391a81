/**
 * BEP 51 `sample_infohashes`, the answering side: a random subset of the info-hashes we store
 * peers for, at most `max`. Following libtorrent, a full sample is kept for `interval` so that
 * an indexer asking again learns nothing new before then (the BEP's point: no reason to
 * hammer a node); a sample smaller than `max` (every info-hash we have) is rebuilt on every
 * query, as hiding nothing there is nothing to protect.
 */
import type { Id160 } from '../../core/id.js'
import type { Random } from '../../core/random.js'
import { after, type Duration, type Instant } from '../../core/time.js'

export interface InfoHashSample {
  /** Seconds before asking again can yield another sample. */
  readonly interval: number
  /** Info-hashes stored. */
  readonly num: number
  readonly samples: readonly Id160[]
}

export class InfoHashSampler {
  private current: readonly Id160[] = []
  private refreshAt: Instant | undefined

  constructor(
    private readonly interval: Duration,
    private readonly max: number,
  ) {}

  sample(now: Instant, stored: () => Id160[], random: Random): InfoHashSample {
    const all = stored()
    const stale =
      this.refreshAt === undefined || now >= this.refreshAt || this.current.length < this.max
    if (stale) {
      this.current = pick(all, Math.min(this.max, all.length), random)
      this.refreshAt = after(now, this.interval)
    }
    return { interval: Math.round(this.interval / 1000), num: all.length, samples: this.current }
  }
}

/** `count` distinct elements of `all` chosen uniformly (a partial Fisher-Yates shuffle). */
function pick(all: Id160[], count: number, random: Random): Id160[] {
  for (let i = 0; i < count; i++) {
    const j = i + random.int(all.length - i)
    const swap = all[i] as Id160
    all[i] = all[j] as Id160
    all[j] = swap
  }
  return all.slice(0, count)
}

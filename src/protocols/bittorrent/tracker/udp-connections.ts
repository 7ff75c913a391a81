/**
 * BEP 15 connection ids by tracker address. A connection id proves to the tracker that we can
 * receive at our source address; it is valid for a minute, so every announce and scrape to the
 * same tracker within that minute skips the connect round trip. Bounded: beyond `entriesMax`
 * the least recently refreshed tracker is forgotten (a Map iterates in insertion order).
 */
import { addressKey, type Address } from '../../../core/address.js'
import { assert } from '../../../core/errors.js'
import { after, type Duration, type Instant } from '../../../core/time.js'

interface Entry {
  readonly connectionId: bigint
  readonly expiresAt: Instant
}

export class ConnectionIdCache {
  private readonly entries = new Map<string, Entry>()

  constructor(
    private readonly lifetime: Duration,
    private readonly entriesMax: number,
  ) {
    assert(entriesMax >= 1, 'connection cache needs room for one tracker')
  }

  /** The connection id for `tracker` if it is still usable at `now`. */
  get(now: Instant, tracker: Address): Entry | undefined {
    const key = addressKey(tracker)
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt > now) return entry
    this.entries.delete(key)
    return undefined
  }

  /** Records a fresh connection id received at `now`; returns when it expires. */
  set(now: Instant, tracker: Address, connectionId: bigint): Entry {
    const key = addressKey(tracker)
    this.entries.delete(key)
    const entry = { connectionId, expiresAt: after(now, this.lifetime) }
    this.entries.set(key, entry)
    while (this.entries.size > this.entriesMax) {
      const oldest = this.entries.keys().next().value
      if (oldest === undefined) break
      this.entries.delete(oldest)
    }
    return entry
  }

  get size(): number {
    return this.entries.size
  }
}

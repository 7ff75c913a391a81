/**
 * The searches this servent started, for leaf guidance (Dynamic Querying v0.1, LimeWire's
 * BEAR/11 and BEAR/12): how many results each has kept so far, whether the user closed it,
 * and which ultrapeers run it for us. An ultrapeer asking about a search we do not know (never
 * ours, or forgotten) is told to stop, as gtk-gnutella does.
 */
import type { ConnectionId } from '../../core/core.js'
import { BoundedMap } from './bounded-map.js'

interface OwnSearch {
  kept: number
  /** The application set the count itself (after its own filters): hits no longer add to it. */
  keptByApp: boolean
  closed: boolean
  readonly sentTo: ConnectionId[]
}

export class OwnSearches {
  private readonly searches: BoundedMap<string, OwnSearch>

  constructor(entriesMax: number) {
    this.searches = new BoundedMap(entriesMax)
  }

  start(key: string, sentTo: readonly ConnectionId[]): void {
    this.searches.set(key, { kept: 0, keptByApp: false, closed: false, sentTo: [...sentTo] })
  }

  has(key: string): boolean {
    return this.searches.has(key)
  }

  /** A QueryHit for our search arrived; false when the search is closed (drop the hit). */
  hit(key: string, results: number): boolean {
    const s = this.searches.get(key)
    if (s === undefined || s.closed) return false
    if (!s.keptByApp) s.kept += results
    return true
  }

  /** The application's own count of kept results (e.g. after filtering out spam). */
  setKept(key: string, kept: number): void {
    const s = this.searches.get(key)
    if (s === undefined) return
    s.kept = kept
    s.keptByApp = true
  }

  /** Closes the search; returns the ultrapeers to tell, or [] when it was unknown or closed. */
  close(key: string): ConnectionId[] {
    const s = this.searches.get(key)
    if (s === undefined || s.closed) return []
    s.closed = true
    return s.sentTo
  }

  /** The answer to a QueryStatusRequest about `key`. */
  status(key: string): number | 'stop' {
    const s = this.searches.get(key)
    return s === undefined || s.closed ? 'stop' : s.kept
  }
}

/**
 * Routing invariants the simulator checks over every servent's `RoutingRecord`s, as they
 * happen (a pure function of the records; no global state):
 * - no servent forwards a GUID twice: one forwarding round per (servent, GUID), never two
 *   copies to one connection;
 * - TTL + hops is constant: every forwarded copy has the TTL + hops it arrived with;
 * - QueryHits travel only on the reverse path: a servent sends a GUID's QueryHits only on the
 *   connection the query first came from.
 */
import type { ConnectionId } from '../../core/core.js'
import type { RoutingRecord } from './config.js'

interface PerGuid {
  firstFrom: ConnectionId | undefined
  forwardFrom: ConnectionId | undefined | null
  readonly sentTo: Set<ConnectionId>
}

export const PROBLEMS_MAX = 50

export class RoutingChecker {
  private readonly state = new Map<string, PerGuid>()
  private readonly found: string[] = []
  private count = 0

  /** The number of violations seen (the list keeps the first PROBLEMS_MAX). */
  get violations(): number {
    return this.count
  }

  problems(): string[] {
    return [...this.found]
  }

  record(servent: number, r: RoutingRecord): void {
    const key = `${servent}/${r.guid}`
    let s = this.state.get(key)
    if (s === undefined) {
      s = { firstFrom: undefined, forwardFrom: null, sentTo: new Set() }
      this.state.set(key, s)
    }
    switch (r.kind) {
      case 'query_received':
        if (!r.duplicate && s.firstFrom === undefined) s.firstFrom = r.connection
        return
      case 'query_sent':
        if (s.forwardFrom !== null && s.forwardFrom !== r.from) {
          this.problem(`servent ${servent} forwarded ${r.guid} in two rounds`)
        }
        s.forwardFrom = r.from
        if (s.sentTo.has(r.connection)) {
          this.problem(`servent ${servent} sent ${r.guid} twice on connection ${r.connection}`)
        }
        s.sentTo.add(r.connection)
        if (r.received !== undefined && r.ttl + r.hops !== r.received.ttl + r.received.hops) {
          this.problem(
            `servent ${servent} forwarded ${r.guid} with TTL+hops ${r.ttl + r.hops}, ` +
              `received ${r.received.ttl + r.received.hops}`,
          )
        }
        return
      case 'hit_sent':
        if (s.firstFrom === undefined || s.firstFrom !== r.connection) {
          this.problem(`servent ${servent} sent a QueryHit for ${r.guid} off the reverse path`)
        }
        return
      case 'hit_received':
        return
    }
  }

  private problem(text: string): void {
    this.count++
    if (this.found.length < PROBLEMS_MAX) this.found.push(text)
  }
}

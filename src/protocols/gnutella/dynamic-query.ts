/**
 * Dynamic querying (Fisk, Dynamic Querying v0.1, 2003) as a pure state machine. Instead of
 * flooding every ultrapeer connection at TTL 7, the originating ultrapeer first probes a few
 * connections at a low TTL, then, from the results per host reached so far, picks for each
 * further connection the smallest TTL expected to bring the missing results, one connection
 * at a time, until enough results came back or every connection was used (the horizon).
 *
 * Hosts reached through one connection at TTL t in a tree of degree d: sum over i = 1..t of
 * (d-1)^(i-1) (UP-QRP v0.1's no-cycle tree formula).
 */
import type { ConnectionId } from '../../core/core.js'
import type { Instant } from '../../core/time.js'

export interface DynamicQueryOptions {
  readonly resultsWanted: number
  readonly probeTtl: number
  readonly probeConnections: number
  readonly ttlMax: number
  /** Expected neighbours of each ultrapeer (the d of the tree formula). */
  readonly degree: number
  /** Time allowed per hop, there and back, before the next step. */
  readonly waitPerHopMs: number
}

export type DynamicQueryStep =
  | { readonly kind: 'send'; readonly connections: ConnectionId[]; readonly ttl: number }
  | { readonly kind: 'wait'; readonly until: Instant }
  | { readonly kind: 'done' }

/** Hosts a query reaches through one connection at TTL `ttl` in a tree of degree `degree`. */
export function hostsReached(degree: number, ttl: number): number {
  let total = 0
  for (let i = 1; i <= ttl; i++) total += Math.pow(Math.max(1, degree - 1), i - 1)
  return total
}

/** The share of reached ultrapeers that sit on the last hop: (d-1)^(h-1) / sum. */
export function lastHopShare(degree: number, ttl: number): number {
  return Math.pow(degree - 1, ttl - 1) / hostsReached(degree, ttl)
}

export class DynamicQuery {
  private readonly unused: ConnectionId[]
  /** Results this ultrapeer routed back for the query. */
  private results = 0
  /**
   * Leaf guidance: the count the leaf last reported (results it kept, from every ultrapeer),
   * and how many of our routed results it could not have counted yet: those routed after we
   * sent the request (the request and the hits share one FIFO connection, so the leaf's
   * count includes exactly the results we routed before asking).
   */
  private leafKept: number | undefined
  private routedWhenAsked = 0
  private routedAtLastAsk = 0
  private stopped = false
  private hostsQueried = 0
  private waitUntil: Instant
  private probed = false
  /** The TTL of the widest step sent so far. */
  private lastTtl = 0

  constructor(
    private readonly options: DynamicQueryOptions,
    connections: readonly ConnectionId[],
    now: Instant,
  ) {
    this.unused = [...connections]
    this.waitUntil = now
  }

  /** Call when results (QueryHit entries) for this query arrive. */
  addResults(count: number): void {
    this.results += count
  }

  /** Results counted toward the target: the leaf's report when there is one. */
  get resultCount(): number {
    if (this.leafKept === undefined) return this.results
    return this.leafKept + (this.results - this.routedWhenAsked)
  }

  /** Call when a status request goes to the leaf (its answer counts from here). */
  askedLeaf(): void {
    this.routedAtLastAsk = this.results
  }

  /** The leaf's QueryStatusResponse: its kept results, or 'stop' (0xFFFF) to end the query. */
  leafReported(kept: number | 'stop'): void {
    if (kept === 'stop') {
      this.stopped = true
      return
    }
    this.leafKept = kept
    this.routedWhenAsked = this.routedAtLastAsk
  }

  /** Forget a connection that closed before we used it. */
  dropConnection(connection: ConnectionId): void {
    const index = this.unused.indexOf(connection)
    if (index >= 0) this.unused.splice(index, 1)
  }

  /** What to do next; call at `wait.until` again. */
  next(now: Instant): DynamicQueryStep {
    const o = this.options
    if (this.stopped || this.resultCount >= o.resultsWanted || this.unused.length === 0)
      return { kind: 'done' }
    if (now < this.waitUntil) return { kind: 'wait', until: this.waitUntil }
    if (!this.probed) {
      this.probed = true
      // Keep one connection out of the probe, so that a small ultrapeer (few connections)
      // can still widen; a lone connection is the last one and goes to the horizon.
      const size = Math.min(o.probeConnections, this.unused.length - 1)
      if (size < 1) return this.sent(now, this.unused.splice(0), o.ttlMax)
      return this.sent(now, this.unused.splice(0, size), o.probeTtl)
    }
    const connection = this.unused.shift() as ConnectionId
    return this.sent(now, [connection], this.chooseTtl())
  }

  private chooseTtl(): number {
    const o = this.options
    // Missing: by the leaf's count when it reported one. The yield per host queried, though,
    // is from our own routed results: the leaf's total includes other ultrapeers' results,
    // which would make our part of the network look richer than it is.
    const missing = o.resultsWanted - this.resultCount
    // No result yet: widen one TTL at a time rather than jumping to the horizon, which in a
    // small-degree graph reaches most of the network through a single connection and brings
    // back many times the results wanted (an overshoot the next step cannot undo).
    // The last connection goes to the horizon: a rare item must still be found.
    if (this.results === 0) {
      return this.unused.length === 0 ? o.ttlMax : Math.min(o.ttlMax, this.lastTtl + 1)
    }
    const hostsPerResult = this.hostsQueried / this.results
    const hostsNeeded = (missing * hostsPerResult) / Math.max(1, this.unused.length + 1)
    for (let ttl = 1; ttl < o.ttlMax; ttl++) {
      if (hostsReached(o.degree, ttl) >= hostsNeeded) return ttl
    }
    return o.ttlMax
  }

  private sent(now: Instant, connections: ConnectionId[], ttl: number): DynamicQueryStep {
    this.lastTtl = Math.max(this.lastTtl, ttl)
    this.hostsQueried += connections.length * hostsReached(this.options.degree, ttl)
    this.waitUntil = (now + 2 * ttl * this.options.waitPerHopMs) as Instant
    return { kind: 'send', connections, ttl }
  }
}

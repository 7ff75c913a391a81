/**
 * The dynamic queries a servent is running (Dynamic Querying v0.1): each one's DynamicQuery
 * plan (dynamic-query.ts) is pumped against the clock, its steps sent through the query
 * router, and, for a query run on behalf of a leaf, the leaf is asked how many results it has
 * kept before each widening step (LimeWire's BEAR/11 and BEAR/12, vendor-message.ts).
 */
import { toHex } from '../../core/bytes.js'
import type { ConnectionId } from '../../core/core.js'
import type { Instant } from '../../core/time.js'
import type { Connection } from './connection.js'
import { DynamicQuery } from './dynamic-query.js'
import type { Guid, Payload } from './messages.js'
import type { QueryRouting } from './query-routing.js'
import type { Servent } from './servent.js'
import { queryStatusRequest } from './vendor-message.js'

type QueryPayload = Extract<Payload, { type: 'query' }>

interface RunningDq {
  readonly dq: DynamicQuery
  readonly guid: Guid
  readonly payload: QueryPayload
  readonly hops: number
  /** The leaf we run it for, or undefined for our own search. */
  readonly forLeaf: ConnectionId | undefined
  nextAt: Instant
  /** Leaf guidance: the step deadline we last asked the leaf before, and its answers. */
  askedBefore: Instant | undefined
  asks: number
  answers: number
}

export class DynamicQueryRuns {
  private readonly runs = new Map<string, RunningDq>()

  constructor(
    private readonly servent: Servent,
    private readonly routing: QueryRouting,
  ) {}

  private get config(): Servent['config'] {
    return this.servent.config
  }

  start(
    now: Instant,
    guid: Guid,
    payload: QueryPayload,
    hops: number,
    forLeaf: ConnectionId | undefined,
  ): void {
    const ups = this.servent
      .open()
      .filter((c) => c.role === 'ultrapeer')
      .map((c) => c.id)
    const dq = new DynamicQuery(
      {
        resultsWanted: this.config.dqResultsWanted,
        probeTtl: this.config.dqProbeTtl,
        probeConnections: this.config.dqProbeConnections,
        ttlMax: Math.min(this.config.queryTtl, this.config.ttlMax - hops),
        degree: Math.max(2, ups.length),
        waitPerHopMs: this.config.dqWaitPerHopMs,
      },
      ups,
      now,
    )
    this.runs.set(toHex(guid), {
      dq,
      guid,
      payload,
      hops,
      forLeaf,
      nextAt: now,
      askedBefore: undefined,
      asks: 0,
      answers: 0,
    })
    this.pump(now)
  }

  pump(now: Instant): void {
    for (const [key, run] of this.runs) {
      for (;;) {
        const step = run.dq.next(now)
        if (step.kind === 'wait') {
          run.nextAt = this.guide(now, run, step.until)
          break
        }
        if (step.kind === 'done') {
          this.runs.delete(key)
          if (run.forLeaf === undefined) {
            this.servent.emit({
              type: 'search_finished',
              queryId: key,
              results: run.dq.resultCount,
            })
          }
          break
        }
        for (const id of step.connections) {
          const conn = this.servent.connections.get(id)
          if (conn === undefined || !conn.isOpen) continue
          if (step.ttl === 1 && !this.routing.lastHopAllows(conn, run.payload)) continue
          this.routing.sendQuery(
            conn,
            run.guid,
            run.payload,
            step.ttl,
            run.hops,
            run.forLeaf,
            undefined,
          )
        }
      }
    }
  }

  /**
   * Leaf guidance (Dynamic Querying v0.1; LimeWire's BEAR/11): shortly before each widening
   * step of a query run for a leaf, ask the leaf how many results it has kept, so that the
   * answer (BEAR/12) arrives before the step and can end the query. A leaf that left two
   * requests unanswered does not speak it: stop asking. Returns when to pump next.
   */
  private guide(now: Instant, run: RunningDq, stepAt: Instant): Instant {
    if (!this.config.leafGuidance || run.forLeaf === undefined) return stepAt
    if (run.askedBefore === stepAt || (run.asks >= 2 && run.answers === 0)) return stepAt
    const askAt = Math.max(0, stepAt - this.config.dqGuidanceLeadMs) as Instant
    if (now < askAt) return askAt
    const leaf = this.servent.connections.get(run.forLeaf)
    // Asked only of a leaf that listed BEAR/11 in its Messages Supported.
    if (leaf === undefined || !leaf.isOpen || !leaf.supports('BEAR', 11)) return stepAt
    run.askedBefore = stepAt
    run.asks++
    run.dq.askedLeaf()
    this.routing.stats.statusRequests++
    this.servent.send(leaf, { guid: run.guid, ttl: 1, hops: 0, payload: queryStatusRequest() })
    return stepAt
  }

  /** A leaf's BEAR/12 for the query `key` we run for it: fewer (or no) widening steps. */
  leafReported(now: Instant, conn: Connection, key: string, kept: number | 'stop'): void {
    const run = this.runs.get(key)
    if (run === undefined || run.forLeaf !== conn.id) return
    this.routing.stats.statusResponses++
    run.answers++
    if (kept === 'stop') this.routing.stats.stoppedByLeaf++
    run.dq.leafReported(kept)
    this.pump(now)
    this.servent.rearmDq()
  }

  addResults(key: string, count: number): void {
    this.runs.get(key)?.dq.addResults(count)
  }

  connectionClosed(id: ConnectionId): void {
    for (const run of this.runs.values()) run.dq.dropConnection(id)
  }

  nextDeadline(): Instant | undefined {
    let next: Instant | undefined
    for (const run of this.runs.values())
      if (next === undefined || run.nextAt < next) next = run.nextAt
    return next
  }
}

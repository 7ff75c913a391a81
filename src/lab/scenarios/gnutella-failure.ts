/**
 * Ultrapeers dying mid-run in the Gnutella scenario's ultrapeer mode. The queries fall in
 * three equal parts: before the failure; right after it (a share of the ultrapeers crash
 * between the first and the second part, with no goodbye: on simulated TCP their neighbours
 * learn it only when a write goes unanswered for the retransmission timeout); and, after a
 * pause of `recoverySeconds`, once the survivors have noticed and the leaves have re-homed.
 *
 * What lets the network heal is the servent's own upkeep, switched on for these runs: pings
 * every 60 s (the protocol default, so an idle link to a dead host carries a write that times
 * out), the leaf upkeep every 5 s (a leaf short of ultrapeers dials candidates), and a host
 * cache per leaf: `hostCache` ultrapeers it knows besides its own, as a client has from a
 * GWebCache or earlier pongs.
 */
import type { Random } from '../../core/random.js'
import type { Role } from '../../protocols/gnutella/index.js'

export interface UltrapeerFailure {
  /** Share of the ultrapeers that crash. */
  readonly share: number
  /** Pause between the second and the third part of the queries. */
  readonly recoverySeconds: number
  /** Ultrapeers each leaf knows besides its own. */
  readonly hostCache: number
}

export type QueryPhase = 'before' | 'after' | 'recovered'

export const QUERY_PHASES: readonly QueryPhase[] = ['before', 'after', 'recovered']

/** The servent upkeep a failure run switches on (the protocol defaults). */
export const FAILURE_PING_INTERVAL_MS = 60_000
export const FAILURE_MAINTAIN_INTERVAL_MS = 5_000

export interface FailurePlan {
  /** Indices of the ultrapeers that crash. */
  readonly killed: ReadonlySet<number>
  readonly killAtMs: number
  /** Per node: the ultrapeers its host cache holds (empty for ultrapeers). */
  readonly hostCaches: readonly (readonly number[])[]
  phaseOf(query: number): QueryPhase
  /** When query `query` starts, milliseconds of virtual time. */
  queryAtMs(query: number): number
}

/** Parts of the query sequence: [0, cut) before, [cut, 2 cut) right after, the rest recovered. */
export const phaseCut = (queries: number): number => Math.floor(queries / 3)

/** Which ultrapeers crash, when, and what each leaf knows; undefined when nothing fails. */
export function failurePlan(
  failure: UltrapeerFailure | undefined,
  roles: readonly Role[],
  queries: { readonly count: number; readonly firstAtMs: number; readonly gapMs: number },
  random: Random,
): FailurePlan | undefined {
  const ups = roles.filter((r) => r === 'ultrapeer').length
  if (failure === undefined || failure.share <= 0 || ups === 0) return undefined
  const order = shuffled(ups, random.fork('killed'))
  const killed = new Set(order.slice(0, Math.round(ups * failure.share)))
  const cacheRandom = random.fork('host-cache')
  const hostCaches = roles.map((role) =>
    role === 'leaf' ? shuffled(ups, cacheRandom).slice(0, Math.min(failure.hostCache, ups)) : [],
  )
  const cut = phaseCut(queries.count)
  const pauseMs = failure.recoverySeconds * 1000
  return {
    killed,
    // Half a gap before the first query of the second part: no query is in its first hop.
    killAtMs: queries.firstAtMs + cut * queries.gapMs - queries.gapMs / 2,
    hostCaches,
    phaseOf: (q) => (q < cut ? 'before' : q < 2 * cut ? 'after' : 'recovered'),
    queryAtMs: (q) => queries.firstAtMs + q * queries.gapMs + (q >= 2 * cut ? pauseMs : 0),
  }
}

function shuffled(count: number, random: Random): number[] {
  const out = Array.from({ length: count }, (_, i) => i)
  for (let i = count - 1; i > 0; i--) {
    const j = random.int(i + 1)
    ;[out[i], out[j]] = [out[j] as number, out[i] as number]
  }
  return out
}

export interface RehomingReport {
  readonly ultrapeersKilled: number
  /** Leaves with at least one ultrapeer among the dead when they died. */
  readonly leavesHit: number
  /** Leaves all of whose ultrapeers died. */
  readonly leavesCutOff: number
  /** Leaf-to-ultrapeer connections the failure broke (a leaf may lose more than one). */
  readonly linksLost: number
  /** Ultrapeer connections leaves opened after the failure (re-homing). */
  readonly rehomeConnections: number
  /** At the end: live leaves with no open connection to a live ultrapeer. */
  readonly orphansAtEnd: number
  /** At the end: live leaves with fewer live ultrapeers than they keep. */
  readonly shortAtEnd: number
  /** At the end: live leaves still holding a connection to a dead ultrapeer (not noticed). */
  readonly stillLinkedToDeadAtEnd: number
  /** Queries not issued because their origin had died. */
  readonly queriesFromDeadSkipped: number
}

/**
 * Each leaf's open connections to ultrapeers, from the servents' own connection events: what
 * the leaf believes, a dead ultrapeer included until the leaf notices.
 */
export class LeafLinks {
  private readonly open: Map<number, number>[]
  private rehomes = 0
  private hit = 0
  private cutOff = 0
  private linksLost = 0
  skipped = 0
  private failedAt: number | undefined

  constructor(
    private readonly roles: readonly Role[],
    private readonly keep: number,
  ) {
    this.open = roles.map(() => new Map())
  }

  opened(node: number, connection: number, ultrapeer: number, at: number): void {
    if (this.roles[node] !== 'leaf') return
    this.open[node]?.set(connection, ultrapeer)
    if (this.failedAt !== undefined && at >= this.failedAt) this.rehomes++
  }

  closed(node: number, connection: number): void {
    this.open[node]?.delete(connection)
  }

  /** The failure happens now: counts the leaves it touches. */
  failed(at: number, killed: ReadonlySet<number>): void {
    this.failedAt = at
    this.roles.forEach((role, leaf) => {
      if (role !== 'leaf') return
      const ups = [...(this.open[leaf]?.values() ?? [])]
      const dead = ups.filter((u) => killed.has(u)).length
      this.linksLost += dead
      if (dead > 0) this.hit++
      if (dead > 0 && dead === ups.length) this.cutOff++
    })
  }

  report(killed: ReadonlySet<number>): RehomingReport {
    const ups = this.roles.filter((r) => r === 'ultrapeer').length
    let orphans = 0
    let short = 0
    let stale = 0
    this.roles.forEach((role, leaf) => {
      if (role !== 'leaf') return
      const links = [...(this.open[leaf]?.values() ?? [])]
      const live = links.filter((u) => !killed.has(u)).length
      if (live === 0) orphans++
      if (live < Math.min(this.keep, ups - killed.size)) short++
      if (live < links.length) stale++
    })
    return {
      ultrapeersKilled: killed.size,
      leavesHit: this.hit,
      leavesCutOff: this.cutOff,
      linksLost: this.linksLost,
      rehomeConnections: this.rehomes,
      orphansAtEnd: orphans,
      shortAtEnd: short,
      stillLinkedToDeadAtEnd: stale,
      queriesFromDeadSkipped: this.skipped,
    }
  }
}

/**
 * `plexus sim gnutella`: flat flooding against two-level ultrapeers (QRP to leaves, last-hop
 * QRP between ultrapeers, dynamic querying) on the same graph size, shared files and queries.
 * `--mode flat|ultrapeer|both`, `--graph random|power-law`.
 */
import { summarize } from '../../core/stats.js'
import { lastHopShare } from '../../protocols/gnutella/index.js'
import { defaultsOf, type Params, type Scenario } from '../scenario.js'
import { PARAMS, REPLICATION_SWEEP } from './gnutella-params.js'
import { shareOf, type CopyCount } from './gnutella-last-hop.js'
import { QUERY_PHASES, type QueryPhase, type RehomingReport } from './gnutella-failure.js'
import {
  replicationOf,
  runMode,
  type GnutellaParams,
  type ModeResult,
  type QueryStat,
} from './gnutella-run.js'

export interface LastHopOracleReport {
  /** The formula's tree over the floods' heights (a leaf's flood is one TTL lower). */
  readonly treeShare: number
  /** Exact: BFS of the actual ultrapeer graph, copies as the servents send them. */
  readonly graphShare: number
  readonly graphCopies: CopyCount
  /** The BFS tree of the actual graph, by ultrapeers: depth h over depths 1..h. */
  readonly bfsTreeNodeShare: number
  readonly floods: number
}

/** The queries for items of one replication ratio. */
export interface ReplicationReport {
  readonly replication: number
  readonly holdersPerItem: number
  readonly queries: number
  readonly hitRate: number
  readonly messagesPerQuery: number
  readonly duplicatesPerQuery: number
  readonly peersReachedPerQuery: number
  readonly resultsPerQuery: number
  readonly latencyMs: { readonly p50: number; readonly p90: number }
}

/** Queries of one part of a failure run (or of the whole run when nothing fails). */
export interface PhaseReport {
  readonly phase: QueryPhase
  readonly queries: number
  readonly hitRate: number
  readonly messagesPerQuery: number
  readonly latencyP50Ms: number
  /** Queries a leaf handed to an ultrapeer that had died, the leaf not knowing yet. */
  readonly handedToDeadUltrapeer: number
  /** Of those, the ones that found nothing. */
  readonly handedToDeadMissed: number
}

export interface ModeReport {
  readonly mode: 'flat' | 'ultrapeer'
  readonly messagesPerQuery: number
  readonly duplicatesPerQuery: number
  readonly peersReachedPerQuery: number
  readonly hitRate: number
  readonly resultsPerQuery: number
  readonly latencyMs: { readonly p50: number; readonly p90: number }
  readonly busiestNodeQueries: number
  /** Query descriptors a leaf (flat: every servent) received per query, on average. */
  readonly queriesSeenPerLeafPerQuery: number
  readonly lastHop: {
    readonly measuredShare: number
    readonly treeFormula: number
    readonly filtered: number
    /** Ultrapeer-to-ultrapeer query copies: at TTL 1 (sent or filtered), and all. */
    readonly copies: CopyCount
    /** With --query-ttl: the same share predicted on the same floods (gnutella-last-hop.ts). */
    readonly oracle: LastHopOracleReport | undefined
  }
  readonly oracle: { readonly checked: number; readonly mismatches: number }
  readonly invariantViolations: number
  readonly invariantSamples: readonly string[]
  /** Ultrapeers killed: the queries before, right after and after recovery, and the leaves. */
  readonly failure:
    { readonly phases: readonly PhaseReport[]; readonly rehoming: RehomingReport } | undefined
  /** With --replications sweep: the queries grouped by their item's replication ratio. */
  readonly byReplication: readonly ReplicationReport[] | undefined
  readonly events: number
  readonly virtualSeconds: number
}

export { REPLICATION_SWEEP }

export interface GnutellaReport {
  readonly scenario: 'gnutella'
  readonly seed: number
  readonly nodes: number
  readonly ttl: number
  /** False with --query-ttl: every query flooded with `ttl`. */
  readonly dynamicQuerying: boolean
  readonly graph: 'random' | 'power-law'
  readonly holdersPerItem: number
  readonly modes: readonly ModeReport[]
  /** flat messages per query / ultrapeer messages per query, when both ran. */
  readonly messageRatio: number | undefined
}

/** `--fabric auto`: the direct fabric above this many servents (identical figures, less cost). */
const AUTO_DIRECT_ABOVE = 20_000

const round = (v: number, d = 3): number => Math.round(v * 10 ** d) / 10 ** d

function phaseReport(phase: QueryPhase, queries: readonly QueryStat[]): PhaseReport {
  const n = Math.max(1, queries.length)
  const latencies = queries
    .filter((s) => s.firstHitAt !== undefined)
    .map((s) => (s.firstHitAt as number) - s.startedAt)
  return {
    phase,
    queries: queries.length,
    hitRate: round(queries.filter((s) => s.results > 0).length / n, 4),
    messagesPerQuery: round(queries.reduce((s, x) => s + x.messages, 0) / n, 1),
    latencyP50Ms: round(summarize(latencies).p50, 1),
    handedToDeadUltrapeer: queries.filter((s) => s.handedToDead).length,
    handedToDeadMissed: queries.filter((s) => s.handedToDead && s.results === 0).length,
  }
}

function latencyOf(queries: readonly QueryStat[]): { p50: number; p90: number } {
  const s = summarize(
    queries
      .filter((q) => q.firstHitAt !== undefined)
      .map((q) => (q.firstHitAt as number) - q.startedAt),
  )
  return { p50: round(s.p50, 1), p90: round(s.p90, 1) }
}

function byReplication(p: GnutellaParams, q: readonly QueryStat[]): ReplicationReport[] {
  return (p.replicationLevels ?? []).map((replication) => {
    const of = q.filter((s) => replicationOf(p, s.item) === replication)
    const n = Math.max(1, of.length)
    const mean = (f: (s: QueryStat) => number, d: number): number =>
      round(of.reduce((sum, s) => sum + f(s), 0) / n, d)
    return {
      replication,
      holdersPerItem: Math.max(1, Math.round(replication * p.nodes)),
      queries: of.length,
      hitRate: mean((s) => (s.results > 0 ? 1 : 0), 4),
      messagesPerQuery: mean((s) => s.messages, 1),
      duplicatesPerQuery: mean((s) => s.duplicates, 1),
      peersReachedPerQuery: mean((s) => s.reached.size, 1),
      resultsPerQuery: mean((s) => s.results, 2),
      latencyMs: latencyOf(of),
    }
  })
}

function summarizeMode(p: GnutellaParams, r: ModeResult): ModeReport {
  const q = r.queries
  const n = Math.max(1, q.length)
  const latencies = q
    .filter((s) => s.firstHitAt !== undefined)
    .map((s) => (s.firstHitAt as number) - s.startedAt)
  const lat = summarize(latencies)
  const leaves = r.roles.map((role, i) => (role === 'ultrapeer' ? -1 : i)).filter((i) => i >= 0)
  const leafLoad = leaves.reduce((s, i) => s + (r.queryLoad[i] ?? 0), 0)
  const considered = r.upToUpSends + r.lastHopFiltered
  const o = r.lastHopOracle
  return {
    mode: r.mode,
    messagesPerQuery: round(q.reduce((s, x) => s + x.messages, 0) / n, 1),
    duplicatesPerQuery: round(q.reduce((s, x) => s + x.duplicates, 0) / n, 1),
    peersReachedPerQuery: round(q.reduce((s, x) => s + x.reached.size, 0) / n, 1),
    hitRate: round(q.filter((s) => s.results > 0).length / n, 4),
    resultsPerQuery: round(q.reduce((s, x) => s + x.results, 0) / n, 2),
    latencyMs: { p50: round(lat.p50, 1), p90: round(lat.p90, 1) },
    busiestNodeQueries: Math.max(0, ...r.queryLoad),
    queriesSeenPerLeafPerQuery: round(leafLoad / Math.max(1, leaves.length) / n, 4),
    lastHop: {
      measuredShare:
        considered === 0 ? 0 : round((r.upToUpLastHop + r.lastHopFiltered) / considered, 4),
      treeFormula: round(lastHopShare(p.ultrapeerDegree, p.ttl), 4),
      filtered: r.lastHopFiltered,
      copies: { lastHop: r.upToUpLastHop + r.lastHopFiltered, all: considered },
      oracle:
        o === undefined
          ? undefined
          : {
              treeShare: round(shareOf(o.tree), 4),
              graphShare: round(shareOf(o.graph), 4),
              graphCopies: o.graph,
              bfsTreeNodeShare: round(shareOf(o.bfsTreeNodes), 4),
              floods: o.floods,
            },
    },
    oracle: { checked: r.oracleChecked, mismatches: r.oracleMismatches },
    invariantViolations: r.checker.violations,
    invariantSamples: r.checker.problems().slice(0, 5),
    failure:
      r.rehoming === undefined
        ? undefined
        : {
            phases: QUERY_PHASES.map((ph) =>
              phaseReport(
                ph,
                q.filter((s) => s.phase === ph),
              ),
            ),
            rehoming: r.rehoming,
          },
    byReplication: p.replicationLevels === undefined ? undefined : byReplication(p, q),
    events: r.events,
    virtualSeconds: r.virtualSeconds,
  }
}

export function runGnutella(params: Params, seed: number): GnutellaReport {
  const given = { ...defaultsOf(PARAMS), ...params } as unknown as Omit<
    GnutellaParams,
    'fabric' | 'failure'
  > & {
    mode: 'flat' | 'ultrapeer' | 'both'
    fabric: 'auto' | 'tcp' | 'direct'
    queryTtl: number
    replications: 'one' | 'sweep'
    killUltrapeers: number
    recoverySeconds: number
    hostCache: number
  }
  const fabric =
    given.fabric === 'auto' ? (given.nodes > AUTO_DIRECT_ABOVE ? 'direct' : 'tcp') : given.fabric
  const failure =
    given.killUltrapeers > 0
      ? {
          share: given.killUltrapeers,
          recoverySeconds: given.recoverySeconds,
          hostCache: given.hostCache,
        }
      : undefined
  const fixedTtl = given.queryTtl > 0
  const ttl = fixedTtl ? given.queryTtl : given.ttl
  const p = {
    ...given,
    ttl,
    fixedTtl,
    fabric,
    ...(given.replications === 'sweep' ? { replicationLevels: REPLICATION_SWEEP } : {}),
    ...(failure === undefined ? {} : { failure }),
  }
  const modes: ('flat' | 'ultrapeer')[] = p.mode === 'both' ? ['flat', 'ultrapeer'] : [p.mode]
  const reports = modes.map((m) => summarizeMode(p, runMode(p, seed, m)))
  const flat = reports.find((r) => r.mode === 'flat')
  const up = reports.find((r) => r.mode === 'ultrapeer')
  return {
    scenario: 'gnutella',
    seed,
    nodes: p.nodes,
    ttl: p.ttl,
    dynamicQuerying: !fixedTtl,
    graph: p.graph,
    holdersPerItem: Math.max(1, Math.round(p.replication * p.nodes)),
    modes: reports,
    messageRatio:
      flat !== undefined && up !== undefined && up.messagesPerQuery > 0
        ? round(flat.messagesPerQuery / up.messagesPerQuery, 2)
        : undefined,
  }
}

export const gnutella: Scenario<GnutellaReport> = {
  name: 'gnutella',
  describe: 'Gnutella 0.6: flat flooding vs ultrapeers with QRP and dynamic querying',
  params: PARAMS,
  defaults: () => defaultsOf(PARAMS),
  problem: (params) =>
    Number(params['killUltrapeers'] ?? 0) > 0 && Number(params['queries'] ?? 100) < 3
      ? 'killing ultrapeers needs at least 3 queries (before, right after, after recovery)'
      : undefined,
  run: runGnutella,
  format: (r) => [
    `${r.nodes} servents, ${r.graph} graph, TTL ${r.ttl}${r.dynamicQuerying ? '' : ' fixed'}, ` +
      `${r.holdersPerItem} holders per item`,
    ...r.modes.map(
      (m) =>
        `${m.mode}: ${m.messagesPerQuery} msgs/query, ${m.duplicatesPerQuery} dups, reached ${m.peersReachedPerQuery}, ` +
        `hit rate ${(m.hitRate * 100).toFixed(1)}%, ${m.resultsPerQuery} results, latency p50 ${m.latencyMs.p50} ms, ` +
        `busiest ${m.busiestNodeQueries}, per leaf/query ${m.queriesSeenPerLeafPerQuery}` +
        (m.mode === 'flat'
          ? `, oracle ${m.oracle.checked - m.oracle.mismatches}/${m.oracle.checked}`
          : `, last hop ${m.lastHop.measuredShare} (tree ${m.lastHop.treeFormula}` +
            (m.lastHop.oracle === undefined
              ? ')'
              : `; on these floods: tree ${m.lastHop.oracle.treeShare}, graph BFS ` +
                `${m.lastHop.oracle.graphShare}, BFS tree nodes ${m.lastHop.oracle.bfsTreeNodeShare})`)) +
        `, ${m.invariantViolations} violations`,
    ),
    ...r.modes.flatMap((m) =>
      (m.byReplication ?? []).map(
        (b) =>
          `${m.mode}, ${b.replication * 100} % (${b.holdersPerItem} holders): ${b.queries} queries, ` +
          `hit rate ${(b.hitRate * 100).toFixed(1)}%, ${b.messagesPerQuery} msgs/query, ` +
          `${b.resultsPerQuery} results, latency p50 ${b.latencyMs.p50} ms`,
      ),
    ),
    ...r.modes.flatMap((m) =>
      m.failure === undefined
        ? []
        : [
            `${m.failure.rehoming.ultrapeersKilled} ultrapeers killed: ` +
              m.failure.phases
                .map(
                  (ph) =>
                    `${ph.phase} ${(ph.hitRate * 100).toFixed(1)}% of ${ph.queries} (${ph.messagesPerQuery} msgs/query)`,
                )
                .join(', '),
            `leaves: ${m.failure.rehoming.leavesHit} lost an ultrapeer, ${m.failure.rehoming.leavesCutOff} all; ` +
              `${m.failure.rehoming.rehomeConnections} re-home connections; at the end ` +
              `${m.failure.rehoming.orphansAtEnd} orphans, ${m.failure.rehoming.shortAtEnd} short`,
          ],
    ),
    ...(r.messageRatio === undefined
      ? []
      : [`flat / ultrapeer messages per query: ${r.messageRatio}x`]),
  ],
}

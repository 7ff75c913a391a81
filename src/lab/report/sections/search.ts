import type { Params } from '../../scenario.js'
import { runDirectoryScenario } from '../../scenarios/directory.js'
import { runGnutella, type ModeReport } from '../../scenarios/gnutella.js'
import { runKademlia } from '../../scenarios/kademlia.js'
import { judge, type Section, type SectionContext } from '../section.js'
import { SOURCES } from '../sources.js'
import { barChart } from '../svg-bars.js'
import {
  failureClaims,
  failureData,
  failureFigure,
  failureTables,
  HOST_CACHE,
  KILL_SHARES,
  RECOVERY_SECONDS,
  runFailures,
} from './search-failures.js'

/**
 * Search designs on one workload: the same N servents, the same shared items (1 % of the nodes
 * hold each) and the same queries, answered by flat flooding (TTL 4) and by ultrapeers with
 * QRP and dynamic querying (the gnutella scenario, both modes), and N Kademlia nodes doing as
 * many lookups (the kademlia scenario), and the central directory (the directory scenario:
 * the project's index and tracker on one simulated server, the N nodes as its clients, each
 * holder publishing its item, each query a search then an announce for the holders).
 * Then the failures (search-failures.ts): the directory's server and a share of the
 * ultrapeers crash mid-run.
 */
export interface SearchRow {
  readonly design: string
  readonly measured: boolean
  readonly messagesPerQuery: number
  readonly latencyP50Ms: number | undefined
  readonly success: number
  /** Query messages the busiest node received (duplicates included), per query of the run. */
  readonly busiestPerQuery: number | undefined
}

const gnutellaRow = (design: string, m: ModeReport, queries: number): SearchRow => ({
  design,
  measured: true,
  messagesPerQuery: m.messagesPerQuery,
  latencyP50Ms: m.latencyMs.p50,
  success: m.hitRate,
  busiestPerQuery: Math.round((m.busiestNodeQueries / queries) * 1000) / 1000,
})

function run(context: SectionContext): ReturnType<Section['run']> {
  const nodes = context.quick ? 500 : 2000
  const queries = context.quick ? 30 : 100
  const workload: Params = {
    nodes,
    queries,
    ttl: 4,
    degree: 6,
    items: 50,
    replication: 0.01,
    mode: 'both',
    graph: 'random',
  }
  context.progress('search: flooding and ultrapeers')
  const gnutella = runGnutella(workload, context.seed)
  const flat = gnutella.modes.find((m) => m.mode === 'flat') as ModeReport
  const up = gnutella.modes.find((m) => m.mode === 'ultrapeer') as ModeReport
  context.progress('search: the central directory')
  const directory = runDirectoryScenario(
    { nodes, queries, items: 50, replication: 0.01, failAt: 1 } as Params,
    context.seed,
  )
  context.progress('search: Kademlia')
  const kademlia = runKademlia(
    { nodes, lookups: queries, announces: 0, items: 0 } as Params,
    context.seed,
  )
  const rows: SearchRow[] = [
    {
      design: 'central directory: search, then announce for the holders',
      measured: true,
      messagesPerQuery: directory.alive.messagesPerQuery,
      latencyP50Ms: directory.alive.latencyMs?.p50,
      success: directory.alive.success,
      busiestPerQuery: directory.server.requestsPerQuery,
    },
    gnutellaRow('flooding, TTL 4', flat, queries),
    gnutellaRow('ultrapeers with QRP, dynamic querying', up, queries),
    {
      design: 'Kademlia find_node',
      measured: true,
      messagesPerQuery: kademlia.messagesPerLookup,
      latencyP50Ms: kademlia.latencyMs.p50,
      success: kademlia.successRate,
      busiestPerQuery: undefined,
    },
  ]
  const failures = runFailures(
    { nodes, queries, items: 50, replication: 0.01, ttl: 4 },
    context.seed,
    context.progress,
  )
  const claims = [
    judge({
      id: 'ultrapeers-shield-leaves',
      statement:
        'In the two-level hierarchy leaves hand queries to their ultrapeers, which answer from ' +
        "the leaves' QRP tables: a leaf sees fewer queries than a servent of a flat network",
      source: `${SOURCES.cs162Ultrapeers}; ${SOURCES.rossSupernodes}`,
      measured: up.queriesSeenPerLeafPerQuery,
      expected: flat.queriesSeenPerLeafPerQuery,
      expectedFrom: 'queries a servent receives per query under flat flooding, same workload',
      unit: 'queries seen per leaf per query',
      comparison: 'at-most',
      tolerance: 0,
      causeIfOff:
        'QRP tables let too many queries through to the leaves (table too small for the shared names)',
    }),
    judge({
      id: 'ultrapeers-find-more',
      statement:
        'Ultrapeers with dynamic querying find the rare item at least as often as a TTL-limited flood',
      source: SOURCES.cs162Ultrapeers,
      measured: up.hitRate,
      expected: flat.hitRate,
      expectedFrom: "the flat flood's hit rate on the same queries",
      unit: 'hit rate',
      comparison: 'at-least',
      tolerance: 0,
      causeIfOff: 'dynamic querying stopped before it reached a holder (results wanted, TTL cap)',
    }),
    ...failureClaims(failures),
  ]
  return {
    summary:
      `${nodes} nodes, 50 items each held by 1 % of them, ${queries} queries from random nodes: ` +
      'flat flooding (TTL 4, mean degree 6), ultrapeers (10 % of the nodes, degree 6, 3 per leaf) ' +
      `with QRP and dynamic querying, ${nodes} Kademlia nodes doing ${queries} lookups, and the ` +
      `central directory (index and tracker on one server, ${nodes} clients: each holder ` +
      'publishes its item and announces itself, each query is a search then an announce that ' +
      'returns the holders; one HTTP connection per exchange). Then the failures: the directory ' +
      `server crashes after half of the queries; ${KILL_SHARES.map((s) => `${s * 100} %`).join(' and ')} ` +
      'of the ultrapeers crash after a third of them (their neighbours learn it only when a ' +
      `write times out), and the last third is asked ${RECOVERY_SECONDS} s later, once the ` +
      `leaves have re-homed from their host cache of ${HOST_CACHE} ultrapeers.`,
    params: {
      nodes,
      queries,
      items: 50,
      replication: 0.01,
      ttl: 4,
      flatDegree: 6,
      ultrapeerShare: 0.1,
      directoryFailsAfterShareOfQueries: 0.5,
      ultrapeersKilled: KILL_SHARES.join(', '),
      recoverySeconds: RECOVERY_SECONDS,
      leafHostCache: HOST_CACHE,
    },
    claims,
    tables: [
      {
        title: 'Search designs on one workload',
        columns: [
          'design',
          'messages per query',
          'latency p50, ms',
          'success',
          'busiest node: query messages received per query',
        ],
        rows: rows.map((r) => [
          r.design,
          r.messagesPerQuery,
          r.latencyP50Ms ?? '-',
          r.success,
          r.busiestPerQuery ?? '-',
        ]),
      },
      {
        title: 'Load on the leaves',
        columns: [
          'design',
          'queries seen per leaf per query',
          'peers reached per query',
          'duplicates per query',
        ],
        rows: [flat, up].map((m) => [
          m.mode,
          m.queriesSeenPerLeafPerQuery,
          m.peersReachedPerQuery,
          m.duplicatesPerQuery,
        ]),
      },
      ...failureTables(failures),
    ],
    figures: [
      {
        title: 'Messages per query',
        svg: barChart(
          'Messages per query by design',
          'msgs',
          rows.map((r, i) => ({
            label: r.design,
            value: r.messagesPerQuery,
            group: r.measured ? i : 5,
          })),
        ),
      },
      failureFigure(failures),
    ],
    data: {
      rows,
      gnutella: { flat, ultrapeer: up, messageRatio: gnutella.messageRatio },
      directory,
      failures: failureData(failures),
      kademlia: {
        hops: kademlia.hops,
        latencyMs: kademlia.latencyMs,
        messagesPerLookup: kademlia.messagesPerLookup,
        successRate: kademlia.successRate,
      },
    },
  }
}

export const search: Section = {
  id: 'search',
  title: 'Search designs on one workload: directory, flooding, ultrapeers with QRP, Kademlia',
  run,
}

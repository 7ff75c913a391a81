import { summarize } from '../../core/stats.js'
import { defaultsOf, type Params, type Scenario } from '../scenario.js'
import {
  runDirectory,
  type DirectoryParams,
  type DirectoryPhase,
  type DirectoryQuery,
} from './directory-run.js'

/**
 * `plexus sim directory`: the central (Napster-style) directory, the project's own index and
 * tracker, on one simulated host; N clients publish what they hold and then search, on the
 * Gnutella scenario's workload (same --nodes, --items, --replication, --queries, --seed: the
 * same holders and the same queries). `--fail-at 0.5` crashes the server halfway.
 */
const PARAMS = {
  nodes: { kind: 'integer', min: 2, max: 100_000, default: 2000, describe: 'clients' },
  queries: { kind: 'integer', min: 1, max: 100_000, default: 100, describe: 'queries' },
  items: { kind: 'integer', min: 1, max: 100_000, default: 50, describe: 'distinct shared items' },
  replication: {
    kind: 'number',
    min: 0,
    max: 1,
    default: 0.01,
    describe: 'share of clients holding each item',
  },
  queryGapMs: {
    kind: 'number',
    min: 1,
    max: 60_000,
    default: 500,
    describe: 'time between queries',
  },
  failAt: {
    kind: 'number',
    min: 0,
    max: 1,
    default: 1,
    describe: 'directory: share of the queries asked before the server crashes (1: never)',
  },
} as const

export interface DirectoryPhaseReport {
  readonly phase: DirectoryPhase
  readonly queries: number
  readonly success: number
  readonly messagesPerQuery: number
  /** From the search request to the holders' addresses; p50 and p90 of the successes (none: undefined). */
  readonly latencyMs: { readonly p50: number; readonly p90: number } | undefined
  /** Why queries failed, counted. */
  readonly failures: Readonly<Record<string, number>>
}

export interface DirectoryReport {
  readonly scenario: 'directory'
  readonly seed: number
  readonly nodes: number
  readonly items: number
  readonly holdersPerItem: number
  readonly queries: number
  readonly indexed: number
  readonly publish: {
    readonly holders: number
    readonly publishedAndAnnounced: number
    /** Requests the server received while the clients published (POSTs and announces). */
    readonly serverRequests: number
  }
  /** The queries asked while the server lived. */
  readonly alive: DirectoryPhaseReport
  /** The queries asked after it crashed, when it did. */
  readonly dead: DirectoryPhaseReport | undefined
  /** From the search request to its answer (the index alone), p50. */
  readonly searchLatencyP50Ms: number
  /** The busiest node is the server: requests it received per query it lived through. */
  readonly server: {
    readonly searchesPerQuery: number
    readonly requestsPerQuery: number
  }
  readonly failedAtMs: number | undefined
  readonly events: number
  readonly virtualSeconds: number
}

const round = (v: number, d = 3): number => Math.round(v * 10 ** d) / 10 ** d

function phaseReport(
  phase: DirectoryPhase,
  queries: readonly DirectoryQuery[],
): DirectoryPhaseReport {
  const n = Math.max(1, queries.length)
  const found = queries.filter((q) => q.holdersFoundAt !== undefined)
  const latency = summarize(found.map((q) => (q.holdersFoundAt as number) - q.startedAt))
  const failures: Record<string, number> = {}
  for (const q of queries) {
    if (q.failure !== undefined) failures[q.failure] = (failures[q.failure] ?? 0) + 1
  }
  return {
    phase,
    queries: queries.length,
    success: round(found.length / n, 4),
    messagesPerQuery: round(queries.reduce((s, q) => s + q.messages, 0) / n, 2),
    latencyMs:
      found.length === 0 ? undefined : { p50: round(latency.p50, 1), p90: round(latency.p90, 1) },
    failures,
  }
}

export function runDirectoryScenario(params: Params, seed: number): DirectoryReport {
  const p = { ...defaultsOf(PARAMS), ...params } as unknown as DirectoryParams
  const r = runDirectory(p, seed)
  const alive = r.queries.filter((q) => q.phase === 'alive')
  const dead = r.queries.filter((q) => q.phase === 'dead')
  const searched = alive.filter((q) => q.searchAnsweredAt !== undefined)
  const perQuery = (v: number): number => round(v / Math.max(1, r.queriesWhileAlive), 3)
  return {
    scenario: 'directory',
    seed,
    nodes: p.nodes,
    items: p.items,
    holdersPerItem: r.holdersPerItem,
    queries: r.queries.length,
    indexed: r.indexed,
    publish: {
      holders: r.publishPairs,
      publishedAndAnnounced: r.publishedAndAnnounced,
      serverRequests: r.publishLoad.publishes + r.publishLoad.announces + r.publishLoad.other,
    },
    alive: phaseReport('alive', alive),
    dead: r.failedAtMs === undefined ? undefined : phaseReport('dead', dead),
    searchLatencyP50Ms: round(
      summarize(searched.map((q) => (q.searchAnsweredAt as number) - q.startedAt)).p50,
      1,
    ),
    server: {
      searchesPerQuery: perQuery(r.queryLoad.searches),
      requestsPerQuery: perQuery(
        r.queryLoad.searches + r.queryLoad.announces + r.queryLoad.publishes + r.queryLoad.other,
      ),
    },
    failedAtMs: r.failedAtMs,
    events: r.events,
    virtualSeconds: r.virtualSeconds,
  }
}

const phaseLine = (label: string, ph: DirectoryPhaseReport): string =>
  `${label}: ${ph.queries} queries, success ${(ph.success * 100).toFixed(1)}%, ` +
  `${ph.messagesPerQuery} msgs/query` +
  (ph.latencyMs === undefined
    ? ''
    : `, latency p50 ${ph.latencyMs.p50} ms p90 ${ph.latencyMs.p90} ms`) +
  (Object.keys(ph.failures).length === 0
    ? ''
    : `; failures: ${Object.entries(ph.failures)
        .map(([why, n]) => `${n} ${why}`)
        .join(', ')}`)

export const directory: Scenario<DirectoryReport> = {
  name: 'directory',
  describe: 'the central directory (index and tracker on one server) on the Gnutella workload',
  params: PARAMS,
  defaults: () => defaultsOf(PARAMS),
  run: runDirectoryScenario,
  format: (r) => [
    `${r.nodes} clients, ${r.items} items, ${r.holdersPerItem} holders each: ` +
      `${r.publish.publishedAndAnnounced}/${r.publish.holders} holders published and announced, ` +
      `${r.indexed} torrents indexed, ${r.publish.serverRequests} server requests`,
    phaseLine('server up', r.alive),
    ...(r.dead === undefined ? [] : [phaseLine(`server crashed at ${r.failedAtMs} ms`, r.dead)]),
    `search alone p50 ${r.searchLatencyP50Ms} ms; the server received ` +
      `${r.server.requestsPerQuery} requests (${r.server.searchesPerQuery} searches) per query`,
    `${r.events} events over ${r.virtualSeconds} virtual seconds`,
  ],
}

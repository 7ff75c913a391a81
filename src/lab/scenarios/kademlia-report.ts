import { roundSummary, summarize, type Summary } from '../../core/stats.js'
import { SeededRandom } from '../../core/random.js'
import type { DhtNode } from '../../protocols/kademlia/index.js'
import type { ChurnDriver, PlaneLatencyModel, SimWorld } from '../../sim/index.js'
import { checkInvariants } from './kademlia-invariants.js'
import type { KademliaRun } from './kademlia-run.js'

/** What `plexus sim kademlia` reports (`--json` prints it whole). */
export interface KademliaReport {
  readonly scenario: 'kademlia'
  readonly seed: number
  readonly nodes: number
  readonly k: number
  readonly alpha: number
  readonly lookups: number
  readonly lookupsFinished: number
  readonly successRate: number
  /** Fraction of the true k closest live nodes that lookups returned, on average. */
  readonly kClosestRecall: number
  readonly hops: {
    readonly mean: number
    readonly p50: number
    readonly p90: number
    readonly max: number
  }
  /** log2(N) / (1 + log2 k): bits a hop gains with k-buckets (1 + log2 k), over the id bits to resolve. */
  readonly expectedHops: number
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly max: number }
  /** The latency model's median round trip between two hosts (from 4,000 sampled pairs). */
  readonly medianRttMs: number
  /** latencyMs.p50 / medianRttMs: round trips a median lookup takes. */
  readonly p50LatencyInRtts: number
  /**
   * find_node lookups: from the start to the first query to the closest node the lookup
   * returned (when it had found its answer; the rest is hearing back and confirming).
   */
  readonly closestQueriedMs: { readonly p50: number; readonly p90: number }
  /** closestQueriedMs.p50 / medianRttMs. */
  readonly p50ClosestQueriedInRtts: number
  /** get_peers after an announce: time to the first peers (p50, p90), when any were found. */
  readonly firstPeersMs: { readonly p50: number; readonly p90: number }
  readonly messagesPerLookup: number
  readonly routingTableSize: Summary
  /** Maintenance queries (bucket refresh, pings of questionable nodes) with their answers. */
  readonly maintenanceBytesPerNodePerMinute: number
  readonly announces: { readonly tried: number; readonly found: number }
  readonly items: { readonly tried: number; readonly found: number }
  readonly churn: { readonly departures: number; readonly arrivals: number }
  readonly queriesDropped: number
  readonly invariantViolations: readonly string[]
  readonly datagrams: Readonly<Record<string, number>>
  readonly virtualSeconds: number
  readonly events: number
}

/** The report of a finished run: `steps` is the simulator's event count. */
export function kademliaReport(
  run: KademliaRun,
  churn: ChurnDriver | undefined,
  steps: number,
): KademliaReport {
  const { p, seed, world } = run
  const live = world.hosts
    .map((h, i) => (h.isUp ? run.nodes[i]?.node : undefined))
    .filter((n): n is DhtNode => n !== undefined)
  const stats = live.map((n) => n.inspect())
  const maintenance = stats.reduce((s, x) => s + x.maintenanceQueriesSent, 0)
  const queries = stats.reduce((s, x) => s + x.queriesSent, 0)
  // Bytes per query with its answer, averaged over all traffic, times maintenance queries.
  const bytesSent = world.metricCounters().get('tx.bytes') ?? 0
  const bytesPerExchange = queries === 0 ? 0 : bytesSent / queries
  const minutes = world.now() / 60_000
  const violations = checkInvariants(live, run.config)
  const hops = summarize(run.hops)
  const latency = summarize(run.latencies)
  const firstPeers = summarize(run.firstPeers)
  const closestQueried = summarize(run.closestQueried)
  const medianRttMs = medianRtt(world, run.latency, seed)
  const round = (v: number, d = 3): number => Math.round(v * 10 ** d) / 10 ** d
  return {
    scenario: 'kademlia',
    seed,
    nodes: p.nodes,
    k: p.k,
    alpha: p.alpha,
    lookups: p.lookups,
    lookupsFinished: run.lookupsFinished,
    successRate: round(p.lookups === 0 ? 1 : run.successes / p.lookups, 4),
    kClosestRecall: round(summarize(run.recall).mean, 4),
    hops: { mean: round(hops.mean), p50: hops.p50, p90: hops.p90, max: hops.max },
    expectedHops: round(Math.log2(p.nodes) / (1 + Math.log2(p.k))),
    latencyMs: { p50: round(latency.p50), p90: round(latency.p90), max: round(latency.max) },
    medianRttMs: round(medianRttMs),
    p50LatencyInRtts: round(medianRttMs === 0 ? 0 : latency.p50 / medianRttMs),
    closestQueriedMs: { p50: round(closestQueried.p50), p90: round(closestQueried.p90) },
    p50ClosestQueriedInRtts: round(medianRttMs === 0 ? 0 : closestQueried.p50 / medianRttMs),
    firstPeersMs: { p50: round(firstPeers.p50), p90: round(firstPeers.p90) },
    messagesPerLookup: round(summarize(run.messages).mean),
    routingTableSize: roundSummary(summarize(stats.map((s) => s.tableSize))),
    maintenanceBytesPerNodePerMinute: round(
      live.length === 0 || minutes === 0
        ? 0
        : (maintenance * bytesPerExchange * 2) / live.length / minutes,
    ),
    announces: { tried: p.announces, found: run.announcesFound },
    items: { tried: p.items, found: run.itemsFound },
    churn: { departures: churn?.departures ?? 0, arrivals: churn?.arrivals ?? 0 },
    queriesDropped: stats.reduce((s, x) => s + x.queriesDropped, 0),
    invariantViolations: violations.slice(0, 20),
    datagrams: world.networkCounters(),
    virtualSeconds: round(world.now() / 1000),
    events: steps,
  }
}

/** The median of RTT = both one-way latencies over random host pairs of the world. */
function medianRtt(world: SimWorld, latency: PlaneLatencyModel, seed: number): number {
  const random = new SeededRandom(seed).fork('rtt-sample')
  const hosts = world.hosts.length
  const rtts: number[] = []
  for (let i = 0; i < 4000; i++) {
    const a = random.int(hosts)
    const b = random.int(hosts)
    if (a !== b) rtts.push(latency.latencyMs(a, b, random) + latency.latencyMs(b, a, random))
  }
  return summarize(rtts).p50
}

/** The text form of a report, a line per aspect. */
export function formatKademlia(r: KademliaReport): string[] {
  return [
    `${r.nodes} nodes (k ${r.k}, alpha ${r.alpha}): ${r.lookupsFinished}/${r.lookups} lookups, ` +
      `success ${(r.successRate * 100).toFixed(2)}%, k-closest recall ${(r.kClosestRecall * 100).toFixed(1)}%`,
    `hops mean ${r.hops.mean} p50 ${r.hops.p50} p90 ${r.hops.p90} max ${r.hops.max} ` +
      `(log2(N)/(1+log2 k) = ${r.expectedHops})`,
    `latency ms p50 ${r.latencyMs.p50} p90 ${r.latencyMs.p90} (p50 = ${r.p50LatencyInRtts} x the ` +
      `median RTT ${r.medianRttMs}); ${r.messagesPerLookup} messages per lookup`,
    `closest node first queried after p50 ${r.closestQueriedMs.p50} ms (${r.p50ClosestQueriedInRtts} ` +
      `x the median RTT), p90 ${r.closestQueriedMs.p90} ms`,
    `get_peers: first peers after p50 ${r.firstPeersMs.p50} ms, p90 ${r.firstPeersMs.p90} ms`,
    `routing table mean ${r.routingTableSize.mean} nodes; maintenance ` +
      `${r.maintenanceBytesPerNodePerMinute} B/node/min`,
    `announces found ${r.announces.found}/${r.announces.tried}; items found ${r.items.found}/${r.items.tried}`,
    `churn: ${r.churn.departures} departures, ${r.churn.arrivals} arrivals; ` +
      `${r.invariantViolations.length} invariant violations`,
    `${r.events} events over ${r.virtualSeconds} virtual seconds`,
  ]
}

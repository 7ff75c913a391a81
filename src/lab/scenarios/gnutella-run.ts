/**
 * One Gnutella run in the simulator: every host runs the production `Servent` through the
 * production `attachStream` driver over simulated TCP streams (constant 20 ms latency, so a
 * flood's first copy always arrives by a shortest path and the BFS oracle is exact). The same
 * seed gives the same graph, the same shared files and the same queries in both modes.
 */
import { addressKey, intToIpv4, ipv4ToInt, type Address } from '../../core/address.js'
import { SeededRandom, type Random } from '../../core/random.js'
import { instant, type Instant } from '../../core/time.js'
import { attachStream } from '../../drivers/attach-stream.js'
import { zlibCompression } from '../../drivers/gnutella/zlib-compression.js'
import {
  RoutingChecker,
  Servent,
  serventConfig,
  SharedLibrary,
  type GnutellaEvent,
  type Role,
  type RoutingRecord,
} from '../../protocols/gnutella/index.js'
import { SimWorld, type SimHost } from '../../sim/index.js'
import { Scheduler } from '../../sim/scheduler.js'
import { StreamFabric } from './gnutella-fabric.js'
import {
  FAILURE_MAINTAIN_INTERVAL_MS,
  FAILURE_PING_INTERVAL_MS,
  failurePlan,
  LeafLinks,
  type QueryPhase,
  type RehomingReport,
  type UltrapeerFailure,
} from './gnutella-failure.js'
import { floodReach, powerLawGraph, randomGraph, type Adjacency } from './gnutella-graph.js'
import { lastHopOracle, type LastHopOracle, type UltrapeerFlood } from './gnutella-last-hop.js'

export const GNUTELLA_PORT = 6346
const FIRST_ADDRESS = 0x0a000001
const CONNECT_AT_MS = 100
const SETTLE_MS = 5_000
/** One-way latency of every link, both fabrics. */
const LATENCY_MS = 20

export interface GnutellaParams {
  readonly nodes: number
  readonly ttl: number
  readonly graph: 'random' | 'power-law'
  readonly degree: number
  readonly queries: number
  readonly items: number
  readonly replication: number
  /** Items take these replication ratios in turn (item i: i mod length); else `replication`. */
  readonly replicationLevels?: readonly number[]
  readonly ultrapeerFraction: number
  readonly ultrapeerDegree: number
  readonly leafUltrapeers: number
  readonly qrpBits: number
  readonly queryGapMs: number
  readonly resultsWanted: number
  /**
   * Every query is sent with `ttl` and flooded (no dynamic querying): the ultrapeer mesh then
   * carries fixed-height floods, which the last-hop oracle predicts exactly.
   */
  readonly fixedTtl?: boolean
  /**
   * `tcp`: simulated hosts and TCP streams (SimWorld); `direct`: the constant-latency fabric
   * (gnutella-fabric.ts), the same servent code without the TCP model, for 100,000 nodes.
   */
  readonly fabric: 'tcp' | 'direct'
  /** Ultrapeer mode: a share of the ultrapeers crashes mid-run (gnutella-failure.ts). */
  readonly failure?: UltrapeerFailure
}

export interface QueryStat {
  origin: number
  item: number
  startedAt: number
  messages: number
  hits: number
  duplicates: number
  reached: Set<number>
  firstHitAt: number | undefined
  results: number
  /** Before, right after or well after the failure; 'before' when nothing fails. */
  phase: QueryPhase
  /**
   * A leaf's query goes to its first open ultrapeer (`leafQueryUltrapeers` 1): true when that
   * one had died and the leaf had not noticed yet.
   */
  handedToDead: boolean
}

export interface ModeResult {
  readonly mode: 'flat' | 'ultrapeer'
  readonly queries: QueryStat[]
  readonly roles: Role[]
  /** Query descriptors each servent received, duplicates included. */
  readonly queryLoad: number[]
  readonly checker: RoutingChecker
  /** Flat mode: queries whose reached set differs from the BFS oracle. */
  readonly oracleMismatches: number
  readonly oracleChecked: number
  readonly upToUpSends: number
  readonly upToUpLastHop: number
  readonly lastHopFiltered: number
  readonly events: number
  readonly virtualSeconds: number
  readonly holders: number
  /** When ultrapeers were killed: what the failure did to the leaves and whether they re-homed. */
  readonly rehoming: RehomingReport | undefined
  /** Ultrapeer mode with fixed TTLs and nothing killed: the last-hop share by BFS and formula. */
  readonly lastHopOracle: LastHopOracle | undefined
}

/**
 * The word a query for `item` asks. Shared files also put their words less one and two
 * trailing characters in the index (plural stemming), so "item1" also matches "item10" to
 * "item19": the default runs keep that (their figures are documented), but a replication
 * sweep must not let a rare item be found through a popular one, so its words end in a letter.
 */
const itemWord = (p: ReplicationParams, item: number): string =>
  p.replicationLevels === undefined ? `item${item}` : `item${item}z`

type ReplicationParams = Pick<GnutellaParams, 'replication' | 'replicationLevels'>

/** The share of servents holding `item`. */
export function replicationOf(p: ReplicationParams, item: number): number {
  const levels = p.replicationLevels ?? []
  return levels.length === 0 ? p.replication : (levels[item % levels.length] as number)
}

/** The shared workload: which nodes hold which item, which node asks for which item. */
export function workload(
  p: Pick<GnutellaParams, 'nodes' | 'items' | 'queries'> & ReplicationParams,
  random: Random,
): { holders: number[][]; asks: [number, number][] } {
  const holders = Array.from({ length: p.items }, (_, item) => {
    const perItem = Math.max(1, Math.round(replicationOf(p, item) * p.nodes))
    const set = new Set<number>()
    while (set.size < Math.min(perItem, p.nodes)) set.add(random.int(p.nodes))
    return [...set]
  })
  const asks: [number, number][] = []
  for (let q = 0; q < p.queries; q++) asks.push([random.int(p.nodes), random.int(p.items)])
  return { holders, asks }
}

function overlay(
  p: GnutellaParams,
  mode: 'flat' | 'ultrapeer',
  random: Random,
): { roles: Role[]; adjacency: Adjacency } {
  const make = p.graph === 'power-law' ? powerLawGraph : randomGraph
  if (mode === 'flat') {
    return { roles: Array<Role>(p.nodes).fill('peer'), adjacency: make(p.nodes, p.degree, random) }
  }
  const ups = Math.max(2, Math.round(p.nodes * p.ultrapeerFraction))
  const roles = Array.from({ length: p.nodes }, (_, i): Role => (i < ups ? 'ultrapeer' : 'leaf'))
  const upGraph = make(ups, p.ultrapeerDegree, random)
  const adjacency: Adjacency = Array.from({ length: p.nodes }, (_, i) => [...(upGraph[i] ?? [])])
  for (let leaf = ups; leaf < p.nodes; leaf++) {
    const chosen = new Set<number>()
    while (chosen.size < Math.min(p.leafUltrapeers, ups)) chosen.add(random.int(ups))
    for (const up of chosen) {
      ;(adjacency[leaf] as number[]).push(up)
      ;(adjacency[up] as number[]).push(leaf)
    }
  }
  return { roles, adjacency }
}

export function runMode(p: GnutellaParams, seed: number, mode: 'flat' | 'ultrapeer'): ModeResult {
  const root = new SeededRandom(seed)
  const { holders, asks } = workload(p, root.fork('workload'))
  const { roles, adjacency } = overlay(p, mode, root.fork('graph'))
  const world = makeTimeline(p.fabric, seed)
  const plan =
    mode === 'ultrapeer'
      ? failurePlan(
          p.failure,
          roles,
          {
            count: asks.length,
            firstAtMs: SETTLE_MS,
            gapMs: p.queryGapMs,
          },
          root.fork('failure'),
        )
      : undefined
  const links = new LeafLinks(roles, p.leafUltrapeers)
  const dead = new Set<number>()
  const floods: UltrapeerFlood[] = []
  const servents: Servent[] = []
  const attached: { flush(): void }[] = []
  const stats = new Map<string, QueryStat>()
  const queryLoad = new Array<number>(p.nodes).fill(0)
  const checker = new RoutingChecker()
  const addressOf = (i: number): Address => ({
    host: intToIpv4(FIRST_ADDRESS + i),
    port: GNUTELLA_PORT,
  })
  let upToUpSends = 0
  let upToUpLastHop = 0
  const statOf = (guid: string): QueryStat => {
    let s = stats.get(guid)
    if (s === undefined) {
      s = {
        origin: -1,
        item: -1,
        startedAt: 0,
        messages: 0,
        hits: 0,
        duplicates: 0,
        reached: new Set(),
        firstHitAt: undefined,
        results: 0,
        phase: 'before',
        handedToDead: false,
      }
      stats.set(guid, s)
    }
    return s
  }
  const trace =
    (index: number) =>
    (r: RoutingRecord): void => {
      checker.record(index, r)
      const s = statOf(r.guid)
      if (r.kind === 'query_received') {
        queryLoad[index] = (queryLoad[index] ?? 0) + 1
        if (r.duplicate) s.duplicates++
        else s.reached.add(index)
      } else if (r.kind === 'query_sent') {
        s.messages++
        if (roles[index] === 'ultrapeer' && !r.toLeaf) {
          upToUpSends++
          if (r.ttl === 1) upToUpLastHop++
        }
      } else if (r.kind === 'hit_sent') {
        s.messages++
        s.hits++
      }
    }
  const indexOf = (address: Address): number =>
    (ipv4ToInt(address.host) ?? FIRST_ADDRESS) - FIRST_ADDRESS
  const onEvent =
    (index: number) =>
    (event: GnutellaEvent): void => {
      if (event.type === 'connection_opened' && event.peerRole === 'ultrapeer') {
        links.opened(index, event.connection, indexOf(event.remote), world.now())
      } else if (event.type === 'connection_closed') {
        links.closed(index, event.connection)
      }
      if (event.type !== 'query_hit') return
      const s = statOf(event.queryId)
      s.results += event.hit.results.length
      s.firstHitAt ??= world.now()
    }
  const libraries = Array.from({ length: p.nodes }, () => new SharedLibrary())
  holders.forEach((nodes, item) => {
    for (const n of nodes)
      libraries[n]?.add({
        fileIndex: item,
        fileName: `${itemWord(p, item)} track mix.mp3`,
        fileSize: 4_000_000,
        urns: [],
      })
  })
  for (let i = 0; i < p.nodes; i++) {
    world.addServent(addressOf(i), (clock, random) => {
      const config = serventConfig({
        advertised: addressOf(i),
        role: roles[i] as Role,
        queryTtl: p.ttl,
        peersMax: p.nodes,
        ultrapeersMax: p.nodes,
        leavesMax: p.nodes,
        leafUltrapeers: p.leafUltrapeers,
        leafCandidatesExtra: 0,
        // Without a failure nothing needs upkeep: pings and leaf upkeep stay out of the counts.
        pingIntervalMs: plan === undefined ? 3_600_000 : FAILURE_PING_INTERVAL_MS,
        maintainIntervalMs: plan === undefined ? 3_600_000 : FAILURE_MAINTAIN_INTERVAL_MS,
        qrpTableLength: 1 << p.qrpBits,
        qrpRefreshMs: 1_000,
        dynamicQuerying: p.fixedTtl !== true,
        dqResultsWanted: p.resultsWanted,
        dqWaitPerHopMs: 100,
        queriesPerSecondMax: 1_000,
        queryBurstMax: 1_000,
        guidCacheEntriesMax: Math.max(1_000, p.queries * 2),
        routeTableEntriesMax: Math.max(1_000, p.queries * 2),
      })
      const servent = new Servent(
        config,
        {
          random,
          library: libraries[i] as SharedLibrary,
          compression: zlibCompression,
          trace: trace(i),
        },
        clock,
      )
      servent.addCandidates((plan?.hostCaches[i] ?? []).map(addressOf))
      servents[i] = servent
      return { servent, onEvent: onEvent(i), ready: (flusher) => (attached[i] = flusher) }
    })
  }
  const at = (time: number, fn: () => void): void => {
    world.scheduler.schedule(time, (f: () => void) => f(), fn)
  }
  // Each edge once, dialled by the lower index (a leaf dials its ultrapeers).
  at(CONNECT_AT_MS, () => {
    adjacency.forEach((neighbours, i) => {
      for (const j of neighbours) {
        const dials = mode === 'ultrapeer' && roles[i] !== roles[j] ? roles[i] === 'leaf' : i < j
        if (!dials) continue
        ;(servents[i] as Servent).connect(world.now(), addressOf(j))
        ;(attached[i] as { flush(): void }).flush()
      }
    })
  })
  if (plan !== undefined) {
    at(plan.killAtMs, () => {
      for (const up of plan.killed) {
        world.crash(addressOf(up))
        dead.add(up)
      }
      links.failed(world.now(), plan.killed)
    })
  }
  asks.forEach(([origin, item], q) => {
    at(plan?.queryAtMs(q) ?? SETTLE_MS + q * p.queryGapMs, () => {
      // A dead servent asks nothing; the query is counted as skipped, not as a miss.
      if (dead.has(origin)) {
        links.skipped++
        return
      }
      const now: Instant = world.now()
      const asker = servents[origin] as Servent
      const first = asker.role === 'leaf' ? asker.open()[0] : undefined
      const handedToDead = first !== undefined && dead.has(indexOf(first.remote))
      // A leaf's query reaches its ultrapeer at TTL t, which floods the mesh at t - 1.
      if (mode === 'ultrapeer' && p.fixedTtl === true) {
        if (asker.role !== 'leaf') floods.push({ entry: origin, height: p.ttl })
        else if (first !== undefined)
          floods.push({ entry: indexOf(first.remote), height: p.ttl - 1 })
      }
      const id = asker.search(now, itemWord(p, item))
      ;(attached[origin] as { flush(): void }).flush()
      const s = statOf(id)
      s.origin = origin
      s.item = item
      s.startedAt = now
      s.phase = plan?.phaseOf(q) ?? 'before'
      s.handedToDead = handedToDead
    })
  })
  const end = (plan?.queryAtMs(asks.length) ?? SETTLE_MS + p.queries * p.queryGapMs) + 30_000
  const run = world.run(instant(end))
  const queries = [...stats.values()].filter((s) => s.origin >= 0)
  let mismatches = 0
  if (mode === 'flat') {
    for (const s of queries) {
      const truth = floodReach(adjacency, s.origin, p.ttl)
      const reached = new Set([...s.reached].filter((n) => n !== s.origin))
      if (reached.size !== truth.size || [...truth].some((n) => !reached.has(n))) mismatches++
    }
  }
  const lastHopFiltered = servents.reduce((sum, s) => sum + s.routing.stats.lastHopFiltered, 0)
  return {
    mode,
    queries,
    roles,
    queryLoad,
    checker,
    oracleMismatches: mismatches,
    oracleChecked: mode === 'flat' ? queries.length : 0,
    upToUpSends,
    upToUpLastHop,
    lastHopFiltered,
    events: run.steps,
    virtualSeconds: Math.round(world.now() / 1000),
    holders: Math.max(1, Math.round(p.replication * p.nodes)),
    rehoming: plan === undefined ? undefined : links.report(plan.killed),
    lastHopOracle:
      mode === 'ultrapeer' && p.fixedTtl === true && plan === undefined
        ? lastHopOracle(adjacency, (i) => roles[i] === 'ultrapeer', floods, p.ultrapeerDegree)
        : undefined,
  }
}

/** What a servent is built with, and what it hands back to be driven. */
type ServentFactory = (
  now: Instant,
  random: Random,
) => {
  readonly servent: Servent
  readonly onEvent: (event: GnutellaEvent) => void
  readonly ready: (flusher: { flush(): void }) => void
}

interface Timeline {
  readonly scheduler: Scheduler
  now(): Instant
  addServent(address: Address, make: ServentFactory): void
  /** The servent at `address` crashes: no goodbye, its host (or fabric node) is gone. */
  crash(address: Address): void
  run(until: Instant): { readonly steps: number }
}

/** The servents' world: SimWorld hosts on simulated TCP, or the direct fabric. */
function makeTimeline(fabric: 'tcp' | 'direct', seed: number): Timeline {
  if (fabric === 'tcp') {
    const world = new SimWorld({ seed })
    const hosts = new Map<string, SimHost>()
    return {
      scheduler: world.scheduler,
      now: () => world.now(),
      addServent(address, make) {
        const host = world.addHost({
          address: address.host,
          uploadBytesPerSecond: 1e8,
          downloadBytesPerSecond: 1e8,
        })
        hosts.set(address.host, host)
        host.start((env) => {
          const made = make(env.clock.now(), env.random.fork('gnutella'))
          const a = attachStream(made.servent, {
            clock: env.clock,
            net: env.net,
            onEvent: made.onEvent,
          })
          made.ready(a)
          a.listen(address, (r) => {
            if (!r.ok) throw new Error(`listen failed: ${r.error.message}`)
          })
        })
      },
      crash: (address) => hosts.get(address.host)?.crash(),
      run: (until) => world.run({ until }),
    }
  }
  const scheduler = new Scheduler()
  const streams = new StreamFabric(scheduler, LATENCY_MS)
  const randoms = new SeededRandom(seed).fork('servents')
  return {
    scheduler,
    now: () => scheduler.now(),
    addServent(address, make) {
      const made = make(scheduler.now(), randoms.fork(addressKey(address)))
      made.ready(streams.attach(made.servent, address, made.onEvent))
    },
    crash: (address) => streams.crash(address),
    run: (until) => scheduler.run({ until }),
  }
}

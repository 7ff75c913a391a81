import { address, type Address } from '../../core/address.js'
import { intToIpv4 } from '../../core/address.js'
import { toHex, utf8 } from '../../core/bytes.js'
import { commonPrefixLength, equalIds, randomId, type Id160 } from '../../core/id.js'
import type { Random } from '../../core/random.js'
import { SeededRandom } from '../../core/random.js'
import { roundSummary, summarize, type Summary } from '../../core/stats.js'
import { instant } from '../../core/time.js'
import type { DhtAgent, DhtDone } from '../../drivers/kademlia/dht-agent.js'
import { NodeEd25519 } from '../../drivers/node/ed25519.js'
import { NodeHashing } from '../../drivers/node/hashing.js'
import { ClosestOracle, type OracleEntry } from '../../protocols/kademlia/closest-oracle.js'
import {
  bep42Valid,
  dhtConfig,
  immutableTarget,
  mutableTarget,
  subnetOf,
  type DhtConfig,
  type DhtNode,
} from '../../protocols/kademlia/index.js'
import { Peer } from '../../peer/peer.js'
import {
  ChurnDriver,
  exponential,
  planeLatency,
  SimWorld,
  type PlaneLatencyModel,
  type SimHost,
} from '../../sim/index.js'
import { defaultsOf, type Params, type Scenario } from '../scenario.js'

/**
 * A Mainline DHT in the simulator: every host runs the production `Peer` (as `plexus daemon`
 * does), whose DHT node is the production `DhtNode` bound by the production driver, over a
 * plane latency model. Hosts join over `joinSeconds`, each
 * bootstrapping through a few of the first 8 nodes; then `lookups` find_node lookups for random
 * targets from random nodes, a few announce / get_peers pairs and BEP 44 put / get pairs run,
 * optionally under churn. A lookup succeeds when the closest node it returns is the true
 * XOR-closest live node. Hosts get public addresses (11.0.0.1 up) and BEP 42 ids, and BEP 42
 * and the per-IP limits are enforced, so the invariants checked at the end mean something.
 */
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

const PORT = 6881
const BOOTSTRAP_NODES = 8
const FIRST_ADDRESS = 0x0b000001 // 11.0.0.1: public, so BEP 42 applies

const PARAMS = {
  nodes: { kind: 'integer', min: 16, max: 100_000, default: 2000, describe: 'DHT nodes' },
  lookups: { kind: 'integer', min: 0, max: 100_000, default: 200, describe: 'find_node lookups' },
  k: { kind: 'integer', min: 2, max: 32, default: 8, describe: 'bucket size' },
  alpha: { kind: 'integer', min: 1, max: 16, default: 5, describe: 'lookup parallelism' },
  aggressive: {
    kind: 'integer',
    min: 0,
    max: 1,
    default: 1,
    describe: "1: libtorrent's aggressive lookups (alpha counts queries among the k closest only)",
  },
  shortTimeoutQuantile: {
    kind: 'number',
    min: 0,
    max: 1,
    default: 0.9,
    describe: 'RTT quantile after which a lookup query frees its slot (0: twice the smoothed RTT)',
  },
  refreshByQuery: {
    kind: 'integer',
    min: 0,
    max: 1,
    default: 0,
    describe:
      "1: refresh a stale bucket with one find_node (libtorrent's); 0: with a lookup (BEP 5)",
  },
  extendedBuckets: {
    kind: 'integer',
    min: 0,
    max: 1,
    default: 0,
    describe: "1: libtorrent's extended routing table (far buckets 16/8/4/2 x k); 0: BEP 5's",
  },
  sessionMinutes: {
    kind: 'number',
    min: 0,
    max: 10_000,
    default: 0,
    describe: 'mean session length under churn (0: no churn)',
  },
  offMinutes: { kind: 'number', min: 0.1, max: 10_000, default: 10, describe: 'mean off-time' },
  churnMinutes: {
    kind: 'number',
    min: 0,
    max: 10_000,
    default: 0,
    describe:
      'minutes of churn after the join, lookups spread over them (sessions of --session-minutes, 60 when 0)',
  },
  joinSeconds: { kind: 'number', min: 1, max: 3600, default: 60, describe: 'join phase length' },
  lookupSeconds: { kind: 'number', min: 1, max: 3600, default: 60, describe: 'lookup phase' },
  idleMinutes: { kind: 'number', min: 0, max: 600, default: 0, describe: 'idle time at the end' },
  announces: { kind: 'integer', min: 0, max: 1000, default: 20, describe: 'announce pairs' },
  items: { kind: 'integer', min: 0, max: 1000, default: 10, describe: 'BEP 44 put/get pairs' },
  lossRatio: { kind: 'number', min: 0, max: 0.5, default: 0, describe: 'datagram loss ratio' },
  baseLatencyMs: { kind: 'number', min: 0, max: 1000, default: 10, describe: 'latency floor' },
  msPerUnit: { kind: 'number', min: 0, max: 100, default: 1.5, describe: 'ms per unit distance' },
} as const

type P = Record<keyof typeof PARAMS, number>

class Run {
  readonly world: SimWorld
  /** Each host's DHT node, in its current life (a crash leaves the dead one until restart). */
  readonly nodes: (DhtAgent | undefined)[] = []
  readonly oracle: ClosestOracle
  readonly hops: number[] = []
  readonly latencies: number[] = []
  readonly closestQueried: number[] = []
  readonly messages: number[] = []
  readonly firstPeers: number[] = []
  readonly latency: PlaneLatencyModel
  readonly recall: number[] = []
  lookupsFinished = 0
  successes = 0
  announcesFound = 0
  itemsFound = 0
  readonly config: DhtConfig
  readonly ed25519 = new NodeEd25519()
  readonly pick: Random

  constructor(
    readonly p: P,
    readonly seed: number,
  ) {
    const latency = (this.latency = planeLatency({
      baseMs: p.baseLatencyMs,
      msPerUnit: p.msPerUnit,
      random: new SeededRandom(seed).fork('latency'),
    }))
    this.world = new SimWorld({
      seed,
      latency,
      lossRatio: p.lossRatio,
      signing: this.ed25519,
    })
    this.pick = this.world.random.fork('kademlia')
    this.config = dhtConfig({
      alpha: p.alpha,
      aggressiveLookups: p.aggressive === 1,
      shortTimeoutQuantile: p.shortTimeoutQuantile,
      refreshByQuery: p.refreshByQuery === 1,
      routing: {
        k: p.k,
        enforceBep42: true,
        ...(p.extendedBuckets === 1 ? { bucketSizeMultipliers: [16, 8, 4, 2] } : {}),
      },
    })
    this.oracle = new ClosestOracle((e: OracleEntry) => {
      const node = this.nodes[e.host]
      return node !== undefined && this.hostUp(e.host) && equalIds(node.id, e.id)
    })
  }

  hostUp(index: number): boolean {
    return (this.world.hosts[index] as SimHost).isUp
  }

  hostAddress(index: number): Address {
    return address((this.world.hosts[index] as SimHost).address, PORT)
  }

  /** The program every host runs, in every life: a Peer with a DHT node and no torrents. */
  readonly program = (env: SimHost['env'], host: SimHost): void => {
    const index = host.index
    const self = address(host.address, PORT)
    const bootstrap: Address[] = []
    const known = Math.min(BOOTSTRAP_NODES, this.world.hosts.length)
    for (let i = 0; i < 3; i++) {
      const b = this.pick.int(known)
      if (b !== index) bootstrap.push(this.hostAddress(b))
    }
    const config = {
      listen: self,
      uploadRateLimit: 0,
      downloadRateLimit: 0,
      connectionsMax: 50,
      dht: { port: PORT, bootstrap, config: this.config, externalAddress: self },
      trackers: false,
      stateDisk: env.disk,
    }
    Peer.start(env, config, (started) => {
      if (!started.ok) throw started.error
      const node = started.value.dhtNode() as DhtAgent
      this.nodes[index] = node
      this.oracle.add({ id: node.id, host: index })
    })
  }

  finishLookup(index: number, target: Id160, done: DhtDone): void {
    this.lookupsFinished++
    const trace = done.trace
    this.hops.push(trace.hops)
    this.latencies.push(trace.finishedAt - trace.startedAt)
    if (trace.closestQueriedAt !== undefined)
      this.closestQueried.push(trace.closestQueriedAt - trace.startedAt)
    this.messages.push(trace.messages)
    const truth = this.oracle.closest(target, index)
    const first = done.closest[0]
    if (truth !== undefined && first !== undefined && equalIds(first.id, truth.id)) this.successes++
    // Recall against the true k closest: count returned nodes at least as close as the k-th.
    this.recall.push(this.recallOf(index, target, done))
  }

  recallOf(index: number, target: Id160, done: DhtDone): number {
    if (done.closest.length === 0) return 0
    let good = 0
    for (const n of done.closest) {
      const node = this.nodeAt(n.address)
      if (node !== undefined && node !== this.nodes[index] && equalIds(node.id, n.id)) good++
    }
    return good / done.closest.length
  }

  nodeAt(a: Address): DhtAgent | undefined {
    const host = this.world.host(a.host)
    return host === undefined || !host.isUp ? undefined : this.nodes[host.index]
  }

  randomLiveHost(): number {
    for (;;) {
      const i = this.pick.int(this.world.hosts.length)
      if (this.hostUp(i) && this.nodes[i] !== undefined) return i
    }
  }

  /** The DHT node of a random live host. */
  randomLiveNode(): { readonly index: number; readonly node: DhtAgent } {
    const index = this.randomLiveHost()
    return { index, node: this.nodes[index] as DhtAgent }
  }

  at(time: number, fn: () => void): void {
    this.world.scheduler.schedule(time, (f: () => void) => f(), fn)
  }
}

export function runKademlia(params: Params, seed: number): KademliaReport {
  const p = { ...defaultsOf(PARAMS), ...params } as P
  const run = new Run(p, seed)
  const { world } = run
  for (let i = 0; i < p.nodes; i++) {
    world.addHost({
      // One host per /24, as on the Internet, so per-subnet limits do not bind artificially.
      address: intToIpv4(FIRST_ADDRESS + i * 256),
      uploadBytesPerSecond: 1e7,
      downloadBytesPerSecond: 1e7,
    })
  }
  const hosts = world.hosts
  const joinMs = p.joinSeconds * 1000
  hosts.forEach((host, i) => {
    const at = i < BOOTSTRAP_NODES ? 0 : (joinMs * i) / hosts.length
    run.at(at, () => host.start(run.program))
  })
  const settle = joinMs + 30_000
  world.run({ until: instant(settle) })
  run.oracle.rebuild()

  let churn: ChurnDriver | undefined
  const churnMs = p.churnMinutes * 60_000
  const sessionMinutes = p.sessionMinutes > 0 || churnMs === 0 ? p.sessionMinutes : 60
  if (sessionMinutes > 0) {
    churn = new ChurnDriver(world.scheduler, {
      hosts: hosts.slice(BOOTSTRAP_NODES),
      session: exponential(sessionMinutes * 60_000),
      offTime: exponential(p.offMinutes * 60_000),
      random: world.random.fork('churn'),
    })
    churn.start()
  }

  // An hour of churn (goal 4 of issue 20) spreads the lookups over the hour.
  const lookupMs = churnMs > 0 ? churnMs : p.lookupSeconds * 1000
  for (let i = 0; i < p.lookups; i++) {
    run.at(settle + (lookupMs * i) / Math.max(1, p.lookups), () => {
      const { index, node } = run.randomLiveNode()
      const target = randomId(run.pick)
      node.lookup(target, (done) => run.finishLookup(index, target, done))
    })
  }
  // Announce then look the peer up from elsewhere 20 s later.
  for (let i = 0; i < p.announces; i++) {
    const infoHash = randomId(run.pick)
    const t0 = settle + (lookupMs * i) / Math.max(1, p.announces)
    run.at(t0, () => {
      run.randomLiveNode().node.announce(infoHash, 7000 + i, {}, () => undefined)
    })
    run.at(t0 + 20_000, () => {
      run.randomLiveNode().node.getPeers(
        infoHash,
        () => undefined,
        (done) => {
          if (done.peersFound > 0) run.announcesFound++
          const first = done.trace.firstPeersAt
          if (first !== undefined) run.firstPeers.push(first - done.trace.startedAt)
        },
      )
    })
  }
  const hashing = new NodeHashing()
  // BEP 44: alternate immutable and mutable items; read each from another node 20 s later.
  for (let i = 0; i < p.items; i++) {
    const t0 = settle + (lookupMs * i) / Math.max(1, p.items)
    const value = utf8(`item ${i} of seed ${seed}`)
    const seedBytes = run.pick.bytes(32)
    const salt = utf8(`salt${i}`)
    const mutable = i % 2 === 1
    const target = mutable
      ? mutableTarget(hashing, run.ed25519.publicKeyOf(seedBytes), salt)
      : immutableTarget(hashing, value)
    run.at(t0, () => {
      const { node } = run.randomLiveNode()
      if (mutable) node.putMutable({ seed: seedBytes, salt, value }, () => undefined)
      else node.putImmutable(value, () => undefined)
    })
    run.at(t0 + 20_000, () => {
      run.randomLiveNode().node.get(target, mutable ? { salt } : {}, (done) => {
        if (done.item !== undefined) run.itemsFound++
      })
    })
  }
  const end = settle + lookupMs + 60_000 + p.idleMinutes * 60_000
  const result = world.run({ until: instant(end) })
  churn?.stop()

  const live = hosts
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
  const medianRttMs = medianRtt(run.world, run.latency, seed)
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
    events: result.steps,
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

/** Routing-table invariants over every live node; returns the violations found. */
export function checkInvariants(nodes: readonly DhtNode[], config: DhtConfig): string[] {
  const problems: string[] = []
  const r = config.routing
  for (const node of nodes) {
    const table = node.routing
    const seenAddress = new Set<string>()
    const seenId = new Set<string>()
    const perIp = new Map<string, number>()
    table.buckets.forEach((bucket, index) => {
      if (bucket.nodes.length > table.bucketLimit(index))
        problems.push(`bucket ${index} holds ${bucket.nodes.length} > its limit`)
      const perSubnet = new Map<string, number>()
      for (const n of bucket.nodes) {
        const key = `${n.host}:${n.port}`
        const idKey = toHex(n.id)
        if (seenAddress.has(key) || seenId.has(idKey)) problems.push(`${key} twice in a table`)
        seenAddress.add(key)
        seenId.add(idKey)
        perIp.set(n.host, (perIp.get(n.host) ?? 0) + 1)
        const subnet = subnetOf(n.host)
        perSubnet.set(subnet, (perSubnet.get(subnet) ?? 0) + 1)
        const cpl = commonPrefixLength(table.ownId, n.id)
        const last = index === table.buckets.length - 1
        if (last ? cpl < index : cpl !== index) problems.push(`${key} in the wrong bucket`)
        if (r.enforceBep42 && !bep42Valid(n.id, n.host)) problems.push(`${key} fails BEP 42`)
      }
      for (const [subnet, count] of perSubnet) {
        if (count > r.perSubnetPerBucketMax)
          problems.push(`${count} nodes of ${subnet} in a bucket`)
      }
    })
    for (const [ip, count] of perIp)
      if (count > r.perIpMax) problems.push(`${count} nodes at ${ip}`)
    if (table.size !== seenAddress.size) problems.push('table size out of step with its buckets')
  }
  return problems
}

export const kademlia: Scenario<KademliaReport> = {
  name: 'kademlia',
  describe: 'a Mainline DHT (BEP 5/42/43/44): join, lookups, announces, BEP 44 items, churn',
  params: PARAMS,
  defaults: () => defaultsOf(PARAMS),
  run: runKademlia,
  format: (r) => [
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
  ],
}

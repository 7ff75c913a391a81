import { address, type Address } from '../../core/address.js'
import { equalIds, type Id160 } from '../../core/id.js'
import type { Random } from '../../core/random.js'
import { seconds } from '../../core/time.js'
import { SeededRandom } from '../../core/random.js'
import type { DhtAgent, DhtDone } from '../../drivers/kademlia/dht-agent.js'
import { NodeEd25519 } from '../../drivers/node/ed25519.js'
import { ClosestOracle, type OracleEntry } from '../../protocols/kademlia/closest-oracle.js'
import { dhtConfig, SharedIds, type DhtConfig } from '../../protocols/kademlia/index.js'
import { Peer } from '../../peer/peer.js'
import { planeLatency, SimWorld, type PlaneLatencyModel, type SimHost } from '../../sim/index.js'
import { BOOTSTRAP_NODES, PORT, type KademliaParams } from './kademlia-params.js'

/**
 * One kademlia run's world and tallies: the hosts' DHT nodes (each host runs the production
 * `Peer`, as `plexus daemon` does), the oracle of the true closest live nodes, and what the
 * finished lookups measured.
 */
export class KademliaRun {
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
    readonly p: KademliaParams,
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
      tablePingSpacing: seconds(p.tablePingSeconds),
      routing: {
        k: p.k,
        enforceBep42: true,
        // 100,000 tables in one process: one copy of each id and host string for all of them.
        sharedIds: new SharedIds(),
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
    this.recall.push(this.recallOf(index, target, done))
  }

  /** The share of the true k closest live nodes (by id) that the lookup returned. */
  recallOf(index: number, target: Id160, done: DhtDone): number {
    const truth = this.oracle.closestK(target, index, this.p.k)
    if (truth.length === 0) return 1
    let found = 0
    for (const t of truth) if (done.closest.some((n) => equalIds(n.id, t.id))) found++
    return found / truth.length
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

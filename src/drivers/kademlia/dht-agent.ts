/**
 * A Mainline DHT node on a real or simulated datagram socket: the sans-IO `DhtNode` bound by
 * `attach`, with callback-shaped commands and routing-table persistence (our id and the nodes
 * that answered, written atomically every few minutes and at close) so a restart rejoins
 * without bootstrap nodes.
 *
 * Callbacks, not promises: the simulator runs one synchronous timeline in which a promise
 * continuation would run only after the whole simulation, so the `Peer` (which runs on
 * simulated hosts too) drives its DHT through this class. `DhtService` wraps it with promises
 * for the real-world callers (the CLI's `plexus dht`, benches). Every command ends with the
 * core's `done` event, which carries the lookup trace; peers and values stream to the optional
 * callbacks as they arrive.
 */
import type { Address } from '../../core/address.js'
import { isLoopback } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import { ipFamilyOf, type IpFamily } from '../../core/compact-peers.js'
import type { BValue } from '../../core/codec/bencode.js'
import type { Callback, DatagramSocket, Disk, Env, TimerHandle } from '../../core/env.js'
import { OperationalError } from '../../core/errors.js'
import type { Id160 } from '../../core/id.js'
import { err, ok } from '../../core/result.js'
import { after, seconds, type Instant } from '../../core/time.js'
import {
  DhtNode,
  dhtConfig,
  exportState,
  krpcCodec,
  krpcMessageName,
  type DhtConfig,
  type DhtEvent,
  type PeerLookupOptions,
  type DhtStats,
  type PersistedState,
} from '../../protocols/kademlia/index.js'
import type { StoredItem } from '../../protocols/kademlia/items.js'
import type { StoredListing } from '../../protocols/kademlia/stored-listing.js'
import { attach, type Attached } from '../attach.js'
import type { DhtAccess } from '../bittorrent/dht-announcing.js'
import { writeFileAtomic } from '../disk-atomic.js'
import { bindDualStack, DualStackSocket } from '../dual-stack-socket.js'
import { foreignStateMessage, readStateFileThen } from './state-file.js'

export type DhtDone = Extract<DhtEvent, { type: 'done' }>
export type DhtSamples = Extract<DhtEvent, { type: 'samples' }>

/** A finished operation as the agent remembers it (see `DhtAgent.recentLookups`). */
export interface FinishedDhtOperation {
  /** 1 for the first operation this agent finished, then counting up: a stable key. */
  readonly seq: number
  readonly kind: DhtDone['kind']
  /** The target id (for ping: zeros or the pinged node's id), lowercase hex. */
  readonly target: string
  readonly startedAt: Instant
  readonly finishedAt: Instant
  readonly hops: number
  readonly nodesContacted: number
  readonly messages: number
  /** Per depth of the lookup: nodes queried there and how many answered. */
  readonly perHop: readonly {
    readonly depth: number
    readonly queried: number
    readonly answered: number
  }[]
  readonly peersFound: number
  /** announce / put: nodes that acknowledged the store. */
  readonly stored: number
}

/** How many finished operations `recentLookups` keeps (the oldest drop out). */
export const RECENT_LOOKUPS_MAX = 50

export interface DhtAgentOptions {
  readonly env: Env
  /** Where the UDP socket binds; port 0 picks one. */
  readonly bind: Address
  /**
   * BEP 32: an IPv6 address to bind as well (with `bind` an IPv4 one): one node, one id, a
   * routing table per family, every command run in both DHTs. Port 0: `bind`'s port.
   */
  readonly bind6?: Address
  /** Nodes to join through (never public ones in tests). */
  readonly bootstrap?: readonly Address[]
  /** Routing-table state file, on `stateDisk` (default: no persistence). */
  readonly statePath?: string
  readonly stateDisk?: Disk
  readonly config?: DhtConfig
  /**
   * BEP 43: send `ro` and answer nothing, so other nodes keep us out of their tables. For
   * short-lived processes (one-shot commands), which would otherwise leave dead entries.
   */
  readonly readOnly?: boolean
  /** BEP 42: refuse nodes whose id does not match their IP (local addresses exempt). */
  readonly enforceBep42?: boolean
  /** Our node id (default: the saved one, else random); the simulator picks ids itself. */
  readonly id?: Id160
  /** Our public address when known: a new id then follows BEP 42. */
  readonly externalAddress?: Address
  /** Events no command asked for (external address, id changes), for logging. */
  readonly onEvent?: (event: DhtEvent) => void
}

export interface DhtCallbacks {
  readonly onPeers?: ((peers: readonly Address[]) => void) | undefined
  readonly onValue?: ((item: StoredItem) => void) | undefined
  readonly onSamples?: ((samples: DhtSamples) => void) | undefined
}

/** How often the routing table is written while running. */
const SAVE_INTERVAL = seconds(300)

interface Pending extends DhtCallbacks {
  readonly done: (done: DhtDone) => void
}

/** Private and loopback ranges, where several nodes share one IP by design (tests, LANs). */
function isLocalNetwork(host: string): boolean {
  return (
    isLoopback(host) ||
    /^10\./.test(host) ||
    /^192\.168\./.test(host) ||
    /^172\.(1[6-9]|2\d|3[01])\./.test(host) ||
    /^f[cd]/i.test(host)
  )
}

export class DhtAgent implements DhtAccess {
  private readonly pending = new Map<number, Pending>()
  /**
   * Callbacks waiting for the start-up bootstrap lookup; undefined once it ended. Its `done`
   * event is not kept: its node ids are views into reply buffers, about 2 KB a node that the
   * simulator's 100,000 nodes would hold for nothing.
   */
  private joinWaiters: (() => void)[] | undefined = []
  private saveTimer: TimerHandle | undefined
  private closed = false
  /** The last finished operations, oldest first, at most RECENT_LOOKUPS_MAX. */
  private readonly recent: FinishedDhtOperation[] = []
  private finishedCount = 0

  private constructor(
    private readonly options: DhtAgentOptions,
    readonly node: DhtNode,
    private readonly socket: DatagramSocket,
    private attached: Attached | undefined,
  ) {}

  /**
   * Reads the state file (refusing a foreign one before anything is bound), binds the socket
   * and starts joining through the bootstrap nodes and the saved table.
   */
  static start(options: DhtAgentOptions, done: Callback<DhtAgent>): void {
    const { statePath, stateDisk } = options
    if (statePath === undefined || stateDisk === undefined) {
      return DhtAgent.bind(options, undefined, done)
    }
    readStateFileThen(stateDisk, statePath, (file) => {
      if (file.kind === 'foreign') {
        return done(
          err(new OperationalError('invalid', foreignStateMessage(statePath, file.reason))),
        )
      }
      DhtAgent.bind(options, file.kind === 'state' ? file.state : undefined, done)
    })
  }

  private static bind(
    options: DhtAgentOptions,
    state: PersistedState | undefined,
    done: Callback<DhtAgent>,
  ): void {
    const { env } = options
    const binds = options.bind6 === undefined ? [options.bind] : [options.bind, options.bind6]
    const config =
      options.config ??
      dhtConfig({
        readOnly: options.readOnly ?? false,
        routing: {
          exemptLocalFromIpLimits: binds.every((b) => isLocalNetwork(b.host)),
          enforceBep42: options.enforceBep42 ?? false,
        },
      })
    const id = options.id ?? state?.id
    const node = new DhtNode(
      env.clock.now(),
      { random: env.random, hashing: env.hashing, ed25519: env.signing },
      {
        config,
        // BEP 32: a table per family we have a socket for; another could not be used.
        families: binds.map((b): IpFamily => ipFamilyOf(b.host) ?? 'ipv4'),
        ...(id === undefined ? {} : { id }),
        ...(state === undefined ? {} : { nodes: state.nodes }),
        ...(options.externalAddress === undefined
          ? {}
          : { externalAddress: options.externalAddress }),
      },
    )
    const bindSocket = (ready: Callback<DatagramSocket>): void =>
      options.bind6 === undefined
        ? env.net.bindDatagram(options.bind, ready)
        : bindDualStack(env.net, options.bind, options.bind6, ready)
    bindSocket((bound) => {
      if (!bound.ok) return done(bound)
      const agent = new DhtAgent(options, node, bound.value, undefined)
      agent.attached = attach(node, krpcCodec, {
        clock: env.clock,
        socket: bound.value,
        metrics: env.metrics,
        messageName: krpcMessageName,
        onEvent: (event) => agent.onEvent(event),
      })
      const bootstrap = [
        ...(options.bootstrap ?? []),
        ...(state?.nodes.map((n) => n.address) ?? []),
      ]
      if (bootstrap.length === 0) agent.markJoined()
      else
        agent.run(
          (now) => node.bootstrap(now, bootstrap),
          {},
          () => agent.markJoined(),
        )
      agent.scheduleSave()
      done(ok(agent))
    })
  }

  /** The bound UDP address (its port is what `port` messages advertise). */
  get address(): Address {
    return this.socket.local
  }

  /** BEP 32: the bound IPv6 address of a dual-stack node, else undefined. */
  get address6(): Address | undefined {
    return this.socket instanceof DualStackSocket ? this.socket.local6 : undefined
  }

  get port(): number {
    return this.socket.local.port
  }

  get id(): Id160 {
    return this.node.id
  }

  stats(): DhtStats {
    return this.node.inspect()
  }

  /**
   * The last operations that finished (at most RECENT_LOOKUPS_MAX), oldest first, with their
   * hop-by-hop traces; the ones abandoned at close are not among them. For the dashboard.
   */
  recentLookups(): readonly FinishedDhtOperation[] {
    return this.recent
  }

  /** What other nodes stored on us, newest first, at most `max` of each (for the dashboard). */
  stored(max?: number): StoredListing {
    return this.node.stored(this.options.env.clock.now(), max)
  }

  /** Calls `fn` once the start-up bootstrap lookup ended (at once if it has). */
  whenJoined(fn: () => void): void {
    if (this.joinWaiters === undefined) return fn()
    this.joinWaiters.push(fn)
  }

  /** Joins (again) through these nodes. */
  bootstrap(addresses: readonly Address[], done: (done: DhtDone) => void): void {
    this.run((now) => this.node.bootstrap(now, addresses), {}, done)
  }

  lookup(target: Id160, done: (done: DhtDone) => void): void {
    this.run((now) => this.node.lookup(now, target), {}, done)
  }

  /** get_peers; with `scrape` (BEP 33) `done.scrape` estimates the swarm's seeds and peers. */
  getPeers(
    infoHash: Id160,
    onPeers: (peers: readonly Address[]) => void,
    done: (done: DhtDone) => void,
    options: PeerLookupOptions = {},
  ): void {
    this.run((now) => this.node.getPeers(now, infoHash, options), { onPeers }, done)
  }

  /** BEP 51: one sample_infohashes query to the node at `address`. */
  sampleInfohashes(
    address: Address,
    target: Id160,
    onSamples: (samples: DhtSamples) => void,
    done: (done: DhtDone) => void,
  ): void {
    this.run((now) => this.node.sampleInfohashes(now, address, target), { onSamples }, done)
  }

  /** get_peers, then announce_peer to the closest nodes that gave tokens. */
  announce(
    infoHash: Id160,
    port: number,
    options: {
      impliedPort?: boolean
      /** BEP 33: we seed this torrent. */
      seed?: boolean
      onPeers?: (peers: readonly Address[]) => void
    },
    done: (done: DhtDone) => void,
  ): void {
    this.run(
      (now) =>
        this.node.announcePeer(now, infoHash, port, options.impliedPort ?? false, {
          seed: options.seed ?? false,
        }),
      { onPeers: options.onPeers },
      done,
    )
  }

  putImmutable(value: BValue, done: (done: DhtDone) => void): void {
    this.run((now) => this.node.putImmutable(now, value), {}, done)
  }

  putMutable(item: Parameters<DhtNode['putMutable']>[1], done: (done: DhtDone) => void): void {
    this.run((now) => this.node.putMutable(now, item), {}, done)
  }

  get(
    target: Id160,
    options: { salt?: Uint8Array; seq?: number; onValue?: (item: StoredItem) => void },
    done: (done: DhtDone) => void,
  ): void {
    const { onValue, ...query } = options
    this.run((now) => this.node.get(now, target, query), { onValue }, done)
  }

  /** BEP 5: a peer named its DHT port; ping that node so it may enter the table. */
  addNode(address: Address): void {
    if (this.closed) return
    this.node.ping(this.options.env.clock.now(), address)
    this.attached?.flush()
  }

  ping(address: Address, done: (done: DhtDone) => void): void {
    this.run((now) => this.node.ping(now, address), {}, done)
  }

  /** Writes the routing table now (atomically); at once without a state path. */
  saveState(done: Callback<void>): void {
    const { statePath, stateDisk } = this.options
    if (statePath === undefined || stateDisk === undefined) return done(ok(undefined))
    // Nodes that ever answered us: the ones worth trying first after a restart.
    const tables = (['ipv4', 'ipv6'] as const).flatMap((f) => this.node.routingFor(f) ?? [])
    const nodes = tables
      .flatMap((table) => [...table.allNodes()])
      .filter((n) => n.lastResponse >= 0)
      .map((n) => ({ id: n.id, address: n.address }))
    writeFileAtomic(stateDisk, statePath, exportState({ id: this.node.id, nodes }), done)
  }

  /** Saves the table, then closes the socket; commands still running end abandoned. */
  close(done: () => void): void {
    if (this.closed) return done()
    this.closed = true
    if (this.saveTimer !== undefined) this.options.env.clock.clearTimer(this.saveTimer)
    this.saveState(() => {
      this.attached?.detach()
      this.socket.close()
      const pending = [...this.pending.values()]
      this.pending.clear()
      this.markJoined()
      for (const command of pending) command.done(abandoned(this.options.env.clock.now()))
      done()
    })
  }

  private run(
    start: (now: Instant) => number,
    callbacks: DhtCallbacks,
    done: (done: DhtDone) => void,
  ): void {
    const now = this.options.env.clock.now()
    if (this.closed) {
      this.options.env.clock.setTimer(now, () => done(abandoned(now)))
      return
    }
    const handle = start(now)
    this.pending.set(handle, { done, ...callbacks })
    this.attached?.flush()
  }

  private markJoined(): void {
    const waiters = this.joinWaiters
    if (waiters === undefined) return
    this.joinWaiters = undefined
    for (const waiter of waiters) waiter()
  }

  private onEvent(event: DhtEvent): void {
    if (event.type === 'peers') return this.pending.get(event.handle)?.onPeers?.(event.peers)
    if (event.type === 'value') return this.pending.get(event.handle)?.onValue?.(event.item)
    if (event.type === 'samples') return this.pending.get(event.handle)?.onSamples?.(event)
    if (event.type === 'done') {
      const pending = this.pending.get(event.handle)
      this.pending.delete(event.handle)
      this.remember(event)
      return pending?.done(event)
    }
    this.options.onEvent?.(event)
  }

  private remember(done: DhtDone): void {
    const { trace } = done
    this.recent.push({
      seq: ++this.finishedCount,
      kind: done.kind,
      target: toHex(done.target),
      startedAt: trace.startedAt,
      finishedAt: trace.finishedAt,
      hops: trace.hops,
      nodesContacted: trace.nodesContacted,
      messages: trace.messages,
      // Copied: the core's hop counters are mutable and belong to the operation.
      perHop: trace.perHop.map((hop) => ({
        depth: hop.depth,
        queried: hop.queried,
        answered: hop.responded,
      })),
      peersFound: done.peersFound,
      stored: done.stored,
    })
    if (this.recent.length > RECENT_LOOKUPS_MAX) this.recent.shift()
  }

  private scheduleSave(): void {
    if (this.options.statePath === undefined || this.closed) return
    const { clock } = this.options.env
    this.saveTimer = clock.setTimer(after(clock.now(), SAVE_INTERVAL), () =>
      this.saveState(() => this.scheduleSave()),
    )
  }
}

/** What a command still running at close ends with: nothing found, nothing stored. */
function abandoned(now: Instant): DhtDone {
  return {
    type: 'done',
    handle: -1,
    kind: 'ping',
    target: new Uint8Array(20) as Id160,
    closest: [],
    stored: 0,
    peersFound: 0,
    trace: { hops: 0, nodesContacted: 0, messages: 0, startedAt: now, finishedAt: now, perHop: [] },
  }
}

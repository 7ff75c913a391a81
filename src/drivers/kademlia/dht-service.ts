/**
 * A Mainline DHT node on a real (or simulated) datagram socket: the sans-IO `DhtNode` bound by
 * `attach`, with promise-shaped commands for the CLI and the BitTorrent session, and routing-
 * table persistence (our id and nodes, written atomically every few minutes and at close) so a
 * restart rejoins without bootstrap nodes.
 *
 * Promises are for real-world callers only (architecture.md: the simulator uses the core and
 * `attach` directly). Every command resolves with the core's `done` event, which carries the
 * lookup trace; peers and values stream to the optional callbacks as they arrive.
 */
import type { Address } from '../../core/address.js'
import { isLoopback } from '../../core/address.js'
import type { BValue } from '../../core/codec/bencode.js'
import type { DatagramSocket, Disk, Env, TimerHandle } from '../../core/env.js'
import type { Id160 } from '../../core/id.js'
import { after, seconds } from '../../core/time.js'
import {
  DhtNode,
  dhtConfig,
  exportState,
  krpcCodec,
  krpcMessageName,
  type DhtConfig,
  type DhtEvent,
  type DhtStats,
} from '../../protocols/kademlia/index.js'
import type { StoredItem } from '../../protocols/kademlia/items.js'
import { attach, type Attached } from '../attach.js'
import { writeFileAtomic } from '../disk-atomic.js'
import { bindDatagram, promised } from '../promises.js'
import { foreignStateMessage, readStateFile } from './state-file.js'

export type DhtDone = Extract<DhtEvent, { type: 'done' }>

export interface DhtServiceOptions {
  readonly env: Env
  /** Where the UDP socket binds; port 0 picks one. */
  readonly bind: Address
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
  /** Events no command asked for (external address, id changes), for logging. */
  readonly onEvent?: (event: DhtEvent) => void
}

/** How often the routing table is written while running. */
const SAVE_INTERVAL = seconds(300)

interface Pending {
  readonly resolve: (done: DhtDone) => void
  readonly onPeers: ((peers: readonly Address[]) => void) | undefined
  readonly onValue: ((item: StoredItem) => void) | undefined
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

export class DhtService {
  private readonly pending = new Map<number, Pending>()
  /** Resolves when the start-up bootstrap lookup ended (at once without bootstrap nodes). */
  joined: Promise<DhtDone | undefined> = Promise.resolve(undefined)
  private saveTimer: TimerHandle | undefined
  private closed = false

  private constructor(
    private readonly options: DhtServiceOptions,
    readonly node: DhtNode,
    private readonly socket: DatagramSocket,
    private readonly attached: Attached,
  ) {}

  static async start(options: DhtServiceOptions): Promise<DhtService> {
    const { env } = options
    const state = await loadState(options)
    const config =
      options.config ??
      dhtConfig({
        readOnly: options.readOnly ?? false,
        routing: {
          exemptLocalFromIpLimits: isLocalNetwork(options.bind.host),
          enforceBep42: options.enforceBep42 ?? false,
        },
      })
    const node = new DhtNode(
      env.clock.now(),
      { random: env.random, hashing: env.hashing, ed25519: env.signing },
      {
        config,
        ...(state === undefined ? {} : { id: state.id, nodes: state.nodes }),
      },
    )
    const socket = await bindDatagram(env.net, options.bind)
    // Events can only arrive after `start` returns; the holder is filled before that.
    const holder: { service?: DhtService } = {}
    const attached = attach(node, krpcCodec, {
      clock: env.clock,
      socket,
      metrics: env.metrics,
      messageName: krpcMessageName,
      onEvent: (event) => holder.service?.onEvent(event),
    })
    const service = (holder.service = new DhtService(options, node, socket, attached))
    const bootstrap = [...(options.bootstrap ?? []), ...(state?.nodes.map((n) => n.address) ?? [])]
    const joining = service
    service.joined =
      bootstrap.length === 0
        ? Promise.resolve(undefined)
        : joining.run((now) => node.bootstrap(now, bootstrap))
    service.scheduleSave()
    return service
  }

  /** The bound UDP address (its port is what `port` messages advertise). */
  get address(): Address {
    return this.socket.local
  }

  /** The UDP port (what BitTorrent's `port` message advertises). */
  get port(): number {
    return this.socket.local.port
  }

  get id(): Id160 {
    return this.node.id
  }

  stats(): DhtStats {
    return this.node.inspect()
  }

  /** Joins (again) through these nodes; resolves when the bootstrap lookup ends. */
  bootstrap(addresses: readonly Address[]): Promise<DhtDone> {
    return this.run((now) => this.node.bootstrap(now, addresses))
  }

  lookup(target: Id160): Promise<DhtDone> {
    return this.run((now) => this.node.lookup(now, target))
  }

  getPeers(infoHash: Id160, onPeers?: (peers: readonly Address[]) => void): Promise<DhtDone> {
    return this.run((now) => this.node.getPeers(now, infoHash), { onPeers })
  }

  /** get_peers, then announce_peer to the closest nodes that gave tokens. */
  announce(
    infoHash: Id160,
    port: number,
    options: { impliedPort?: boolean; onPeers?: (peers: readonly Address[]) => void } = {},
  ): Promise<DhtDone> {
    return this.run(
      (now) => this.node.announcePeer(now, infoHash, port, options.impliedPort ?? false),
      { onPeers: options.onPeers },
    )
  }

  putImmutable(value: BValue): Promise<DhtDone> {
    return this.run((now) => this.node.putImmutable(now, value))
  }

  putMutable(item: Parameters<DhtNode['putMutable']>[1]): Promise<DhtDone> {
    return this.run((now) => this.node.putMutable(now, item))
  }

  get(
    target: Id160,
    options: { salt?: Uint8Array; seq?: number; onValue?: (item: StoredItem) => void } = {},
  ): Promise<DhtDone> {
    const { onValue, ...query } = options
    return this.run((now) => this.node.get(now, target, query), { onValue })
  }

  /** BEP 5: a peer named its DHT port; ping that node so it may enter the table. */
  addNode(address: Address): void {
    if (this.closed) return
    this.node.ping(this.options.env.clock.now(), address)
    this.attached.flush()
  }

  ping(address: Address): Promise<DhtDone> {
    return this.run((now) => this.node.ping(now, address))
  }

  /** Writes the routing table now (atomically); no-op without a state path. */
  async saveState(): Promise<void> {
    const { statePath, stateDisk } = this.options
    if (statePath === undefined || stateDisk === undefined) return
    // Nodes that ever answered us: the ones worth trying first after a restart.
    const nodes = [...this.node.routing.allNodes()]
      .filter((n) => n.lastResponse >= 0)
      .map((n) => ({ id: n.id, address: n.address }))
    const bytes = exportState({ id: this.node.id, nodes })
    await promised<void>((done) => writeFileAtomic(stateDisk, statePath, bytes, done))
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.saveTimer !== undefined) this.options.env.clock.clearTimer(this.saveTimer)
    await this.saveState().catch(() => undefined)
    this.attached.detach()
    this.socket.close()
    for (const pending of this.pending.values()) {
      // Commands still running end without a result: their lookups are abandoned.
      pending.resolve(abandoned())
    }
    this.pending.clear()
  }

  private run(
    start: (now: ReturnType<Env['clock']['now']>) => number,
    callbacks: {
      onPeers?: ((peers: readonly Address[]) => void) | undefined
      onValue?: ((item: StoredItem) => void) | undefined
    } = {},
  ): Promise<DhtDone> {
    if (this.closed) return Promise.reject(new Error('the DHT node is closed'))
    return new Promise((resolve) => {
      const handle = start(this.options.env.clock.now())
      this.pending.set(handle, { resolve, onPeers: callbacks.onPeers, onValue: callbacks.onValue })
      this.attached.flush()
    })
  }

  private onEvent(event: DhtEvent): void {
    if (event.type === 'peers') return this.pending.get(event.handle)?.onPeers?.(event.peers)
    if (event.type === 'value') return this.pending.get(event.handle)?.onValue?.(event.item)
    if (event.type === 'done') {
      const pending = this.pending.get(event.handle)
      this.pending.delete(event.handle)
      return pending?.resolve(event)
    }
    this.options.onEvent?.(event)
  }

  private scheduleSave(): void {
    if (this.options.statePath === undefined || this.closed) return
    const { clock } = this.options.env
    this.saveTimer = clock.setTimer(after(clock.now(), SAVE_INTERVAL), () => {
      void this.saveState()
        .catch(() => undefined)
        .then(() => this.scheduleSave())
    })
  }
}

/** The saved state; throws (before anything is bound) when the file is not ours. */
async function loadState(options: DhtServiceOptions) {
  const { statePath, stateDisk } = options
  if (statePath === undefined || stateDisk === undefined) return undefined
  const file = await readStateFile(stateDisk, statePath)
  if (file.kind === 'foreign') throw new Error(foreignStateMessage(statePath, file.reason))
  return file.kind === 'state' ? file.state : undefined
}

function abandoned(): DhtDone {
  return {
    type: 'done',
    handle: -1,
    kind: 'ping',
    target: new Uint8Array(20) as Id160,
    closest: [],
    stored: 0,
    peersFound: 0,
    trace: {
      hops: 0,
      nodesContacted: 0,
      messages: 0,
      startedAt: 0 as never,
      finishedAt: 0 as never,
      perHop: [],
    },
  }
}

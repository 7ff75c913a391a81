import type { Address } from '../core/address.js'
import type { Callback, Env, StreamSocket } from '../core/env.js'
import { assert, OperationalError } from '../core/errors.js'
import { err, ok, type Result } from '../core/result.js'
import { seconds } from '../core/time.js'
import type { DhtAgent } from '../drivers/kademlia/dht-agent.js'
import type { MetricsRegistry, MetricsSnapshot } from '../drivers/node/metrics.js'
import type { Metainfo } from '../protocols/bittorrent/metainfo/index.js'
import { inlinePieceHashing } from '../protocols/bittorrent/storage/index.js'
import { swarmConfig, type SwarmView } from '../protocols/bittorrent/swarm/index.js'
import { shareConnections } from './connection-budget.js'
import { EventStream } from './event-stream.js'
import {
  listenForHandshakes,
  type HandshakeRouter,
  type HandshakeRouterOptions,
} from './handshake-router.js'
import { ManagedTorrent } from './managed-torrent.js'
import { configProblem, isValidConnectionsMax, newPeerId } from './peer-config.js'
import { dhtBucketsOf, dhtLookupsOf, dhtStatusOf, startDht } from './peer-dht.js'
import { peerEnvWithMetrics } from './peer-metrics.js'
import { PluginRegistry } from './plugin-registry.js'
import { Reachability } from './reachability.js'
import { SerialQueue } from './serial-queue.js'
import { allSwarmHashes, torrentBySwarmHash } from './swarm-hashes.js'
import { isValidRate, SharedRateLimits } from './shared-limits.js'
import type { TorrentHost } from './torrent-host.js'
import { parseTorrentSource } from './torrent-source.js'
import { validPriorities } from './torrent-view.js'
import type {
  AddTorrentOptions,
  DhtBucketStatus,
  DhtLookupRecord,
  DhtStored,
  DhtStatus,
  PeerApi,
  PeerConfig,
  PeerDhtConfig,
  PeerEvent,
  PeerPlugin,
  PeerPluginFactory,
  RemoveOptions,
  TorrentDetail,
  TorrentId,
  TorrentStatus,
} from './types.js'

export { newPeerId } from './peer-config.js'

/** A magnet without metadata after this long is an error (the CLI's long-standing 120 s). */
const METADATA_TIMEOUT = seconds(120)
/** An incoming connection must send its handshake's first 48 bytes within this. */
const HANDSHAKE_TIMEOUT = seconds(10)
/** Incoming connections still handshaking at once, across every torrent. */
const PENDING_HANDSHAKES_MAX = 64

/**
 * One running plexus node (issue 12): every torrent shares one listener (connections routed by
 * the info-hash of their handshake), one DHT node, one tracker transport, one hashing driver,
 * the peer-wide rate limits and connection budget, one event stream and the plug-ins. Built
 * from an Env alone, so the same code runs on Node (`startNodePeer`) and on a simulated host.
 */
export class Peer implements PeerApi {
  private readonly torrents = new Map<TorrentId, ManagedTorrent>()
  /** Removed torrents still closing: their info-hash cannot be added again until they are gone. */
  private readonly removing = new Map<TorrentId, ManagedTorrent>()
  private readonly events: EventStream
  private readonly plugins_ = new PluginRegistry()
  /** Paused torrents' file checks, one at a time. */
  private readonly checks = new SerialQueue()
  private readonly host: TorrentHost
  private router: HandshakeRouter | undefined
  private stopping = false
  /** The configured connection limit until `setLimits` changes it. */
  private connectionsMax: number
  /** The DHT settings the running node was started with (`setDht` may change them). */
  private dhtConfig: PeerDhtConfig | false
  private reachability_: Reachability | undefined

  private constructor(
    private readonly env: Env,
    private readonly config: PeerConfig,
    private dht: DhtAgent | undefined,
    private listen_: Address,
    private readonly limits_: SharedRateLimits,
    private readonly registry: MetricsRegistry,
  ) {
    this.connectionsMax = config.connectionsMax
    this.dhtConfig = config.dht
    this.events = new EventStream((error) =>
      env.log.log('error', 'a peer event listener threw', { error: String(error) }),
    )
    const defer = config.defer ?? ((fn: () => void) => env.clock.setTimer(env.clock.now(), fn))
    // The listener and the DHT can change at run time (setListenPort, setDht): torrents read
    // them when a session opens.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const peer = this
    this.host = {
      env,
      stateDisk: config.stateDisk,
      peerId: config.peerId ?? newPeerId(env.random),
      get listen() {
        return peer.listen_
      },
      pieceHashing: config.pieceHashing ?? inlinePieceHashing(env.hashing, defer),
      defer,
      trackers: config.trackers ? config.trackerTransport : undefined,
      get dht() {
        return peer.dht
      },
      swarm: config.swarm ?? {},
      transports: config.transports,
      storageLimits: config.storageLimits,
      limits: limits_,
      metadataTimeout: config.metadataTimeout ?? METADATA_TIMEOUT,
      emit: (event) => this.events.emit(event),
      connectionsChanged: () => this.shareConnections(),
      queueCheck: (job) => this.checks.run(job),
    }
  }

  /**
   * Starts the DHT node (when configured), then the one listener; nothing is added: the owner
   * adds its torrents (the daemon from its own list). Fails with the listener's or the DHT's
   * error (a port in use, an address this machine does not have, a foreign DHT state file).
   */
  static start(worldEnv: Env, config: PeerConfig, done: Callback<PeerApi>): void {
    // Everything below counts into this peer's own registry (and the world's, see peerEnvWithMetrics).
    const { env, registry } = peerEnvWithMetrics(worldEnv)
    const invalid = configProblem(config)
    if (invalid !== undefined) {
      const failure = err(new OperationalError('invalid', invalid))
      env.clock.setTimer(env.clock.now(), () => done(failure))
      return
    }
    startDht(env, config, (dht) => {
      if (!dht.ok) return done(dht)
      const limits = new SharedRateLimits(env.clock, config, swarmConfig(config.swarm))
      let peer: Peer | undefined
      listenForHandshakes(
        listenerOptions(env, config, config.listen, {
          route: (infoHash) => peer?.route(infoHash),
          admit: () => peer?.admitsConnection() ?? false,
          infoHashes: () => (peer === undefined ? [] : allSwarmHashes(peer.torrents)),
        }),
        (listening) => {
          if (!listening.ok) {
            const failed = listening
            if (dht.value === undefined) return done(failed)
            return dht.value.close(() => done(failed))
          }
          peer = new Peer(env, config, dht.value, listening.value.local, limits, registry)
          peer.router = listening.value
          peer.startReachability(done)
        },
      )
    })
  }

  get listenAddress(): Address {
    return this.listen_
  }

  /**
   * Moves the one listener to `port` (0 picks one) on the same host: the new one is opened
   * first, so a port in use fails with nothing changed; then the old one closes and every
   * running torrent reopens its session (resume data trusted), announcing the new port to its
   * trackers and the DHT. Its connections are dropped and made again.
   */
  setListenPort(port: number, done: Callback<Address>): void {
    if (this.stopping) return this.later(done, err(closing()))
    if (!Number.isSafeInteger(port) || port < 0 || port > 65535) {
      return this.later(done, err(new OperationalError('invalid', `bad port ${port}`)))
    }
    listenForHandshakes(
      // the same policy as the first listener's (Peer.start): MSE and the transports
      listenerOptions(
        this.env,
        this.config,
        { host: this.listen_.host, port },
        {
          route: (infoHash) => this.route(infoHash),
          admit: () => this.admitsConnection(),
          infoHashes: () => allSwarmHashes(this.torrents),
        },
      ),
      (listening) => {
        if (!listening.ok) return done(listening)
        if (this.stopping) {
          listening.value.close()
          return done(err(closing()))
        }
        this.router?.close()
        this.router = listening.value
        this.listen_ = listening.value.local
        this.env.log.log('info', 'listening on a new port', { port: this.listen_.port })
        this.reopenTorrents()
        done(ok(this.listen_))
      },
    )
  }

  /**
   * Starts the DHT node with `dht`, or stops it (false); running torrents then reopen their
   * sessions, so that they announce to the new node or stop asking the old one. Turning it on
   * while it runs, or off while it is off, changes nothing.
   */
  setDht(dht: PeerDhtConfig | false, done: Callback<void>): void {
    if (this.stopping) return this.later(done, err(closing()))
    const current = this.dht
    if (dht === false) {
      if (current === undefined) return this.later(done, ok(undefined))
      this.dht = undefined
      this.reopenTorrents()
      return current.close(() => done(ok(undefined)))
    }
    if (current !== undefined) return this.later(done, ok(undefined))
    startDht(this.env, { ...this.config, dht }, (started) => {
      if (!started.ok) return done(started)
      const agent = started.value
      if (agent === undefined) return done(ok(undefined))
      if (this.stopping || this.dht !== undefined) return agent.close(() => done(ok(undefined)))
      this.dht = agent
      this.dhtConfig = dht
      this.reopenTorrents()
      done(ok(undefined))
    })
  }

  add(options: AddTorrentOptions, done: Callback<TorrentStatus>): void {
    const parsed = parseTorrentSource(options.source, this.env.hashing)
    if (!parsed.ok) return this.later(done, parsed)
    const { infoHash, metainfo, magnet } = parsed.value
    const taken = this.torrents.has(infoHash)
      ? `torrent ${infoHash} is already added`
      : this.removing.has(infoHash)
        ? `torrent ${infoHash} is being removed; add it again once it is gone`
        : undefined
    if (taken !== undefined) return this.later(done, err(new OperationalError('exists', taken)))
    if (metainfo !== undefined && options.filePriorities !== undefined) {
      const bad = validPriorities(metainfo, options.filePriorities)
      if (bad !== undefined) return this.later(done, err(new OperationalError('invalid', bad)))
    }
    for (const rate of [options.uploadRateLimit, options.downloadRateLimit]) {
      if (rate !== undefined && !isValidRate(rate)) {
        return this.later(done, err(new OperationalError('invalid', `bad rate limit ${rate}`)))
      }
    }
    const torrent = new ManagedTorrent(this.host, infoHash, options, metainfo, magnet)
    this.torrents.set(infoHash, torrent)
    this.events.emit({ type: 'torrent_added', infoHash })
    torrent.start()
    this.later(done, ok(torrent.status()))
  }

  remove(id: TorrentId, options: RemoveOptions, done: Callback<void>): void {
    const torrent = this.torrents.get(id)
    if (torrent === undefined) return this.later(done, notFound(id))
    this.torrents.delete(id)
    this.removing.set(id, torrent)
    // A torrent still checking its files finishes that first (reads cannot be cancelled),
    // then closes at once: its resume data and files go only after it let go of them.
    torrent.stop(() =>
      torrent.deleteState(options.deleteData, (deleted) => {
        this.removing.delete(id)
        this.events.emit({ type: 'torrent_removed', infoHash: id })
        done(deleted)
      }),
    )
  }

  pause(id: TorrentId, done: Callback<TorrentStatus>): void {
    const torrent = this.torrents.get(id)
    if (torrent === undefined) return this.later(done, notFound(id))
    torrent.pause((result) => this.later(done, result))
  }

  resume(id: TorrentId, done: Callback<TorrentStatus>): void {
    const torrent = this.torrents.get(id)
    if (torrent === undefined) return this.later(done, notFound(id))
    if (this.stopping) return this.later(done, err(closing()))
    torrent.resume((result) => this.later(done, result))
  }

  setFilePriorities(id: TorrentId, priorities: readonly number[], done: Callback<void>): void {
    const torrent = this.torrents.get(id)
    if (torrent === undefined) return this.later(done, notFound(id))
    const m = torrent.metainfo
    if (m === undefined) {
      const why = `torrent ${id} has no metadata yet: its files are not known`
      return this.later(done, err(new OperationalError('invalid', why)))
    }
    const bad = validPriorities(m, priorities)
    if (bad !== undefined) return this.later(done, err(new OperationalError('invalid', bad)))
    torrent.setFilePriorities(priorities)
    this.later(done, ok(undefined))
  }

  list(): readonly TorrentStatus[] {
    return [...this.torrents.values()].map((torrent) => torrent.status())
  }

  torrent(id: TorrentId): TorrentDetail | undefined {
    return this.torrents.get(id)?.detail()
  }

  swarmView(id: TorrentId): SwarmView | undefined {
    return this.torrents.get(id)?.swarmView()
  }

  metainfo(id: TorrentId): Metainfo | undefined {
    return this.torrents.get(id)?.metainfo
  }

  setLimits(limits: {
    readonly uploadRateLimit?: number
    readonly downloadRateLimit?: number
    readonly connectionsMax?: number
  }): void {
    for (const rate of [limits.uploadRateLimit, limits.downloadRateLimit]) {
      assert(rate === undefined || isValidRate(rate), `bad rate limit ${rate}`)
    }
    const { connectionsMax } = limits
    assert(
      connectionsMax === undefined || isValidConnectionsMax(connectionsMax),
      `connectionsMax must be a whole number >= 1, got ${connectionsMax}`,
    )
    this.limits_.set(limits)
    if (connectionsMax !== undefined && connectionsMax !== this.connectionsMax) {
      this.connectionsMax = connectionsMax
      // Lowered: nobody is closed, tables shrink as connections end and are not refilled
      // above the new shares; raised: the torrents dial more at once.
      this.shareConnections()
    }
  }

  limits(): {
    readonly uploadRateLimit: number
    readonly downloadRateLimit: number
    readonly connectionsMax: number
  } {
    return { ...this.limits_.get(), connectionsMax: this.connectionsMax }
  }

  dhtNode(): DhtAgent | undefined {
    return this.dht
  }

  dhtStatus(): DhtStatus | undefined {
    return this.dht === undefined ? undefined : dhtStatusOf(this.dht)
  }

  dhtBuckets(): readonly DhtBucketStatus[] | undefined {
    const dht = this.dht
    if (dht === undefined) return undefined
    return dhtBucketsOf(dht, this.dhtConfig, this.env.clock.now())
  }

  dhtLookups(): readonly DhtLookupRecord[] | undefined {
    const dht = this.dht
    if (dht === undefined) return undefined
    return dhtLookupsOf(dht, this.env.clock.now())
  }

  dhtStored(): DhtStored | undefined {
    return this.dht?.stored()
  }

  reachability(): Reachability | undefined {
    return this.reachability_
  }

  /** The reachability plug-in when configured, then `done` with the peer. */
  private startReachability(done: Callback<PeerApi>): void {
    const config = this.config.reachability
    if (config === undefined) return done(ok(this))
    const service = new Reachability(this.env, () => this.dht, config, this.config.defer)
    this.reachability_ = service
    this.use(service, (started) => {
      if (started.ok) return done(ok(this))
      this.stop(() => done(started))
    })
  }

  use(plugin: PeerPlugin | PeerPluginFactory, done: Callback<void>): void {
    if (this.stopping) return this.later(done, err(closing()))
    this.plugins_.use(typeof plugin === 'function' ? plugin(this.env) : plugin, done)
  }

  plugins(): readonly {
    readonly name: string
    readonly status: Readonly<Record<string, unknown>>
  }[] {
    return this.plugins_.list()
  }

  metrics(): MetricsSnapshot {
    return this.registry.snapshot()
  }

  onEvent(listener: (event: PeerEvent) => void): () => void {
    return this.events.subscribe(listener)
  }

  stop(done: Callback<void>): void {
    if (this.stopping) return this.later(done, err(closing()))
    this.stopping = true
    // No new connections while the torrents leave their swarms.
    this.router?.close()
    this.plugins_.stopAll(
      (name, error) =>
        this.env.log.log('warn', 'a plug-in failed to stop', { name, error: error.message }),
      () => {
        const all = [...this.torrents.values(), ...this.removing.values()]
        let left = all.length + 1
        const one = (): void => {
          if (--left > 0) return
          const finish = (): void => done(ok(undefined))
          if (this.dht === undefined) return this.host.defer(finish)
          this.dht.close(finish)
        }
        for (const torrent of all) torrent.stop(one)
        one()
      },
    )
  }

  // ---- the parts torrents share ----------------------------------------------------------

  private route(infoHash: string): ((socket: StreamSocket) => void) | undefined {
    if (this.stopping) return undefined
    return torrentBySwarmHash(this.torrents, infoHash)?.taker()
  }

  private admitsConnection(): boolean {
    if (this.stopping) return false
    let connections = this.router?.pending ?? 0
    for (const torrent of this.torrents.values()) connections += torrent.connections
    if (connections < this.connectionsMax) return true
    for (const torrent of this.torrents.values()) if (torrent.evictsForIncoming) return true
    return false
  }

  private reopenTorrents(): void {
    for (const torrent of this.torrents.values()) torrent.reopen()
  }

  /** Splits the connection budget between the torrents that run (see `shareConnections`). */
  private shareConnections(): void {
    const wants = new Map<string, number>()
    for (const [id, torrent] of this.torrents) {
      if (torrent.needsConnections) wants.set(id, torrent.peersWanted)
    }
    const shares = shareConnections(this.connectionsMax, wants)
    for (const [id, share] of shares) this.torrents.get(id)?.setPeersMax(share)
  }

  /** Callbacks never run inside the call that registered them (the ports' rule). */
  private later<T>(done: Callback<T>, result: Result<T, OperationalError>): void {
    this.host.defer(() => done(result))
  }
}

function notFound(id: TorrentId): Result<never, OperationalError> {
  return err(new OperationalError('not_found', `no torrent ${id}`))
}

function closing(): OperationalError {
  return new OperationalError('closed', 'the peer is stopping')
}

/**
 * The one listener's settings, the same for the first listener (Peer.start) and a moved one
 * (setListenPort): the handshake deadline and backlog, MSE policy, transports and the IPv6
 * address of a dual-stack DHT.
 */
function listenerOptions(
  env: Env,
  config: PeerConfig,
  listen: Address,
  torrents: Pick<HandshakeRouterOptions, 'route' | 'admit' | 'infoHashes'>,
): HandshakeRouterOptions {
  return {
    env,
    listen,
    ...torrents,
    handshakeTimeout: HANDSHAKE_TIMEOUT,
    pendingMax: PENDING_HANDSHAKES_MAX,
    defer: config.defer ?? ((fn) => env.clock.setTimer(env.clock.now(), fn)),
    encryption: config.swarm?.encryption ?? 'prefer',
    ...(config.transports === undefined ? {} : { transports: config.transports }),
    ...listen6Of(config),
  }
}

/** The IPv6 host the peer listens on too: the dual-stack DHT's (BEP 32), when it has one. */
function listen6Of(config: PeerConfig): { listen6?: string } {
  const bind6 = config.dht === false || config.dht === undefined ? undefined : config.dht.bind6
  return bind6 === undefined ? {} : { listen6: bind6.host }
}

import type { PeerTransports } from '../drivers/bittorrent/peer-transports.js'
import type { Address } from '../core/address.js'
import type { Callback, Disk, Env } from '../core/env.js'
import type { Id160 } from '../core/id.js'
import type { Duration } from '../core/time.js'
import type { DhtAgent } from '../drivers/kademlia/dht-agent.js'
import type { SessionEvent } from '../drivers/bittorrent/session-events.js'
import type { TrackerTransport } from '../drivers/bittorrent/tracker-transport.js'
import type { MetricsSnapshot } from '../drivers/node/metrics.js'
import type { Reachability } from './reachability.js'
import type { ReachabilityConfig } from './reachability-types.js'
import type { Metainfo } from '../protocols/bittorrent/metainfo/index.js'
import type { DhtConfig } from '../protocols/kademlia/index.js'
import type { PieceHashing, StorageLimits } from '../protocols/bittorrent/storage/index.js'
import type { SwarmConfig, SwarmView } from '../protocols/bittorrent/swarm/index.js'
import type {
  DhtBucketStatus,
  DhtLookupRecord,
  DhtStored,
  DhtStatus,
  TorrentDetail,
  TorrentId,
  TorrentState,
  TorrentStatus,
} from './api-json.js'

/**
 * The contract of one running plexus node (issue 12): `Peer.start(env, config, done)` composes
 * every part of a node from the Env alone (many torrents, the DHT, tracker and DHT announcing,
 * PEX, storage and resume, and plug-ins for the protocols later issues add). The CLI's
 * `seed`/`get`, `plexus daemon`, its HTTP API and the simulator all drive a node through this
 * interface only. Callback-based like the Env ports: the simulator runs one synchronous
 * timeline, and promise continuations would escape it. Wrappers for async/await live above.
 */

export interface PeerDhtConfig {
  /** UDP port of the DHT node (0 picks one). */
  readonly port: number
  /**
   * BEP 32: an IPv6 address to bind as well (the node then runs in both DHTs with one id);
   * port 0 means the IPv4 socket's. Default: IPv4 only.
   */
  readonly bind6?: Address
  /** Nodes to join through; empty: the saved table, else the public routers (never in tests). */
  readonly bootstrap: readonly Address[]
  /** Where the routing table persists (relative to `stateDisk`), or undefined for none. */
  readonly statePath?: string
  /** The disk `statePath` is on; default `PeerConfig.stateDisk`. */
  readonly stateDisk?: Disk
  /** Our node id; default the saved one, else random (the simulator chooses its own). */
  readonly id?: Id160
  /** Our public address when known: the node id then follows BEP 42. */
  readonly externalAddress?: Address
  /** The node's tuning (k, alpha, BEP 42 enforcement...); default the Mainline settings. */
  readonly config?: DhtConfig
}

export interface PeerConfig {
  /** One TCP listener for every torrent: an incoming handshake is routed by its info-hash. */
  readonly listen: Address
  /** Global limits in bytes per second (0 = unlimited), shared fairly by every torrent. */
  readonly uploadRateLimit: number
  readonly downloadRateLimit: number
  /** Peer connections across all torrents (the descriptor budget). */
  readonly connectionsMax: number
  /** False: no DHT node. */
  readonly dht: PeerDhtConfig | false
  /** Announce to the torrents' trackers. */
  readonly trackers: boolean
  /** Defaults for every torrent's swarm (per-torrent options override). */
  readonly swarm?: Partial<SwarmConfig>
  /** BitTorrent transports: uTP and TCP on the same port, uTP tried first (the default, as libtorrent). */
  readonly transports?: PeerTransports
  /**
   * Storage bounds of every torrent (read cache, piece buffers, write backlog); default the
   * storage layer's, sized for one fast torrent. A simulated host of a 1,000-peer swarm uses
   * small ones, as would a small device.
   */
  readonly storageLimits?: Partial<StorageLimits>
  /**
   * Where resume data and other node state live: never the content disk, where a torrent's own
   * files could take their names. Content lives on `env.disk`; a torrent's `saveDir` is a path
   * inside it.
   */
  readonly stateDisk: Disk
  /**
   * How the world's driver hashes pieces (Node: worker threads); default inline through
   * `env.hashing`, answered via `defer`.
   */
  readonly pieceHashing?: PieceHashing
  /** Performs tracker announces; required when `trackers` is true. */
  readonly trackerTransport?: TrackerTransport
  /**
   * Runs `fn` soon, outside the current call; default a timer at `env.clock.now()`. Given
   * (Node: setImmediate), the relay this peer serves also sends after each pass of reads.
   */
  readonly defer?: (fn: () => void) => void
  /** Our 20-byte peer id; default `-PX0100-` and 12 random hex digits. */
  readonly peerId?: Uint8Array
  /** A magnet without metadata after this long is an error (default 120 s). */
  readonly metadataTimeout?: Duration
  /**
   * Reachability (issue 15): probe, serve as a relay when public, keep relay reservations and
   * a signed record in the DHT when not; started as the `reachability` plug-in.
   */
  readonly reachability?: ReachabilityConfig
}

/** Where a torrent comes from. */
export type TorrentSource =
  | { readonly kind: 'metainfo'; readonly bytes: Uint8Array }
  | { readonly kind: 'magnet'; readonly uri: string }

export interface AddTorrentOptions {
  readonly source: TorrentSource
  /** Folder inside the content disk holding the torrent's files ('' = its root). */
  readonly saveDir: string
  readonly paused?: boolean
  /** One per file (pad files included): 0 skips, 1..7, 4 the default. */
  readonly filePriorities?: readonly number[]
  readonly sequential?: boolean
  /** Peers to connect to as well as the trackers' and the DHT's. */
  readonly peers?: readonly Address[]
  /** Per-torrent limits in bytes per second (0 = unlimited), within the global ones. */
  readonly uploadRateLimit?: number
  readonly downloadRateLimit?: number
  /** Ignore resume data and verify every piece against the files. */
  readonly recheck?: boolean
}

// The JSON the node reports lives in api-json.ts (import-free, shared with the dashboard).
export type {
  DhtBucketStatus,
  DhtLookupRecord,
  DhtStored,
  DhtStoredItem,
  DhtStoredSwarm,
  DhtStatus,
  TorrentDetail,
  TorrentFileStatus,
  TorrentId,
  TorrentPeerStatus,
  TorrentState,
  TorrentStatus,
  TorrentTrackerStatus,
  TorrentWebSeedStatus,
} from './api-json.js'

/**
 * One event stream per peer. Listeners run synchronously, in the order events happened;
 * a listener may call the PeerApi (e.g. `setFilePriorities` on `torrent_metadata`).
 */
export type PeerEvent =
  | { readonly type: 'torrent_added'; readonly infoHash: TorrentId }
  | { readonly type: 'torrent_removed'; readonly infoHash: TorrentId }
  | {
      readonly type: 'torrent_state'
      readonly infoHash: TorrentId
      readonly state: TorrentState
      readonly error?: string
      /** With `error`: the OperationalError code (`timeout`, `no_space`, `io`, ...). */
      readonly code?: string
    }
  /**
   * A magnet's info dictionary arrived and verified (`metadataBytes` long). The files are
   * checked right after, outside this call: `setFilePriorities` from a listener applies first.
   */
  | {
      readonly type: 'torrent_metadata'
      readonly infoHash: TorrentId
      readonly name: string
      readonly metadataBytes: number
    }
  /**
   * What one torrent's session reports (`SessionEvent`: `checking`, `ready`, `stats`, peers,
   * `tracker`, `files_missing`, `piece_changed`, `fatal`, ...), storage requests excluded: the
   * peer answers those itself. The CLI prints these; the API may forward them. A session
   * `fatal` also stops the torrent (state `error`).
   */
  | { readonly type: 'torrent_event'; readonly infoHash: TorrentId; readonly event: SessionEvent }
  | { readonly type: 'torrent_completed'; readonly infoHash: TorrentId }
  /** Verified pieces now durable in resume data. */
  | { readonly type: 'torrent_checkpointed'; readonly infoHash: TorrentId; readonly pieces: number }
  /** A condition that stops the whole node (the listener lost); the owner should exit. */
  | { readonly type: 'fatal'; readonly code: string; readonly message: string }

/** A protocol that runs inside a peer (Gnutella, an overlay, a relay, ...). */
export interface PeerPlugin {
  readonly name: string
  start(done: Callback<void>): void
  stop(done: Callback<void>): void
  /** JSON-ready status for the API and `plexus status`. */
  status(): Readonly<Record<string, unknown>>
}

/**
 * A plug-in built on the peer's own Env (its clock, sockets, randomness, its metrics registry):
 * how an app adds a protocol without building an Env of its own, so the plug-in lives in the
 * same world as the peer (the real machine, or a simulated host).
 */
export type PeerPluginFactory = (env: Env) => PeerPlugin

export interface RemoveOptions {
  /** Delete the torrent's files too (its resume data always goes). */
  readonly deleteData: boolean
}

/** The operations a running node offers; `src/peer/peer.ts` implements it. */
export interface PeerApi {
  add(options: AddTorrentOptions, done: Callback<TorrentStatus>): void
  remove(id: TorrentId, options: RemoveOptions, done: Callback<void>): void
  pause(id: TorrentId, done: Callback<TorrentStatus>): void
  resume(id: TorrentId, done: Callback<TorrentStatus>): void
  setFilePriorities(id: TorrentId, priorities: readonly number[], done: Callback<void>): void
  list(): readonly TorrentStatus[]
  torrent(id: TorrentId): TorrentDetail | undefined
  /**
   * A running torrent's swarm snapshot (pieces, availability, each connection's flags), for
   * the dashboard's piece map and peer list; undefined while it has no session (paused, error,
   * fetching metadata). Read only; O(peers + pieces) per call.
   */
  swarmView(id: TorrentId): SwarmView | undefined
  /** The parsed metainfo, once known (a magnet's after `torrent_metadata`); for in-process apps. */
  metainfo(id: TorrentId): Metainfo | undefined
  /**
   * Global limits in bytes per second (0 = unlimited), and the most peer connections (a whole
   * number >= 1; the running torrents' shares are recomputed at once). For this run only.
   */
  setLimits(limits: {
    readonly uploadRateLimit?: number
    readonly downloadRateLimit?: number
    readonly connectionsMax?: number
  }): void
  limits(): {
    readonly uploadRateLimit: number
    readonly downloadRateLimit: number
    readonly connectionsMax: number
  }
  /**
   * Moves the listener to `port` (0 picks one; the new one opens before the old one closes,
   * so a port in use changes nothing); running torrents reopen and announce the new port.
   */
  setListenPort(port: number, done: Callback<Address>): void
  /** Starts the DHT node with these settings, or stops it (false); running torrents reopen. */
  setDht(dht: PeerDhtConfig | false, done: Callback<void>): void
  dhtStatus(): DhtStatus | undefined
  /**
   * The DHT node itself, for lookups with their traces, get_peers, announces and BEP 44 items
   * (`plexus dht`-style callers, the simulator's Kademlia scenario); undefined without a DHT.
   */
  dhtNode(): DhtAgent | undefined
  /** The DHT routing table bucket by bucket (read only, for the dashboard); undefined without a DHT. */
  dhtBuckets(): readonly DhtBucketStatus[] | undefined
  /** The DHT's last finished operations, newest first (for the dashboard); undefined without a DHT. */
  dhtLookups(): readonly DhtLookupRecord[] | undefined
  /** What other nodes stored on our DHT node, newest first, bounded; undefined without a DHT. */
  dhtStored(): DhtStored | undefined
  /** Adds and starts a plug-in; a factory is first given the peer's Env. */
  use(plugin: PeerPlugin | PeerPluginFactory, done: Callback<void>): void
  plugins(): readonly {
    readonly name: string
    readonly status: Readonly<Record<string, unknown>>
  }[]
  /**
   * This peer's own counters and histograms (listener, connections, messages, the DHT node's),
   * never another peer's in the same process or simulated host; sorted by name.
   */
  metrics(): MetricsSnapshot
  /** Subscribes to the event stream; returns the unsubscribe function. */
  onEvent(listener: (event: PeerEvent) => void): () => void
  /**
   * The reachability service when configured (`PeerConfig.reachability`): its status, our
   * record key, `connect(key)` to another peer and `onSession` for those reaching us.
   */
  reachability?(): Reachability | undefined
  /** The listener's address (the port is known once started). */
  readonly listenAddress: Address
  /** Flushes every torrent's resume data, leaves the swarms, closes listeners and the DHT. */
  stop(done: Callback<void>): void
}

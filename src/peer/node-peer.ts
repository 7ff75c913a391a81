import type { PeerTransports } from '../drivers/bittorrent/peer-transports.js'
import { mkdir } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import type { Address } from '../core/address.js'
import type { Disk, Env, HttpClient, LogLevel, Net } from '../core/env.js'
import { WorkerPieceHashing } from '../drivers/bittorrent-storage/worker-hashing.js'
import { tuneHeapForBulkData } from '../drivers/node/heap-tuning.js'
import {
  NodeTrackerTransport,
  type TrackerTransport,
} from '../drivers/bittorrent/tracker-transport.js'
import { NodeDisk } from '../drivers/node/disk.js'
import { createNodeEnv } from '../drivers/node/env.js'
import { promised } from '../drivers/promises.js'
import type { SwarmConfig } from '../protocols/bittorrent/swarm/index.js'
import { Peer } from './peer.js'
import type { ReachabilityConfig } from './reachability-types.js'
import type { PeerApi } from './types.js'

/** The file the DHT routing table is kept in, inside the state folder, by default. */
export const DHT_STATE_FILE = 'dht.state'

export interface NodePeerOptions {
  /** Content: every torrent's `saveDir` is inside it (the disk is confined to it). */
  readonly downloadDir: string
  /** Resume data (`resume/<infohash>.resume`) and the DHT table; never the download folder. */
  readonly stateDir: string
  /** The one TCP listener (port 0 picks one). */
  readonly listen: Address
  /** Bytes per second, 0 = unlimited (default 0). */
  readonly uploadRateLimit?: number
  readonly downloadRateLimit?: number
  /** Peer connections across all torrents (default 200). */
  readonly connectionsMax?: number
  /** Announce to trackers (default true). */
  readonly trackers?: boolean
  /**
   * The DHT node, or false. `bootstrap` is already resolved (`resolveDhtBootstrap` in the CLI);
   * `statePath` is absolute, or relative to `stateDir` (default `dht.state`); null: none kept.
   */
  readonly dht:
    | false
    | {
        readonly port: number
        /** BEP 32: an IPv6 address to bind as well (see `PeerDhtConfig.bind6`). */
        readonly bind6?: Address
        readonly bootstrap: readonly Address[]
        readonly statePath?: string | null
      }
  readonly swarm?: Partial<SwarmConfig>
  /** uTP and TCP (the default), or one of them. */
  readonly transports?: PeerTransports
  readonly logLevel?: LogLevel
  /**
   * Replaces the Env's Net (its outgoing connections) with one built on it: `plexus get
   * --anonymous` carries every peer connection through an onion circuit this way.
   */
  readonly wrapNet?: (net: Net) => Net
  /** Replaces the Env's HTTP client (web seeds through onion circuits, with `wrapNet`). */
  readonly wrapHttp?: (http: HttpClient) => HttpClient
  /** Replaces the tracker transport (announces through onion circuits, with `wrapNet`). */
  readonly trackerTransport?: (env: Env) => TrackerTransport
  /** The reachability service (relay, reservations, records; `PeerConfig.reachability`). */
  readonly reachability?: ReachabilityConfig
}

/** Peer connections across all torrents unless configured (4 torrents at the swarm default). */
export const CONNECTIONS_MAX_DEFAULT = 200

/**
 * A Peer on the real machine, for apps (the CLI's `seed`/`get`, `plexus daemon`): the Node Env
 * with its content disk rooted at the download folder, a state disk rooted at the state folder,
 * worker-thread piece hashing and the Node tracker transport. The returned peer's `stop` also
 * ends the hashing workers and the tracker sockets, so nothing keeps the process alive.
 */
export async function startNodePeer(options: NodePeerOptions): Promise<PeerApi> {
  // Peers move bulk data through buffers outside the JS heap: fewer full GCs (heap-tuning.ts).
  tuneHeapForBulkData()
  const downloadDir = resolve(options.downloadDir)
  const stateDir = resolve(options.stateDir)
  const nodeEnv = createNodeEnv({
    diskRoot: downloadDir,
    ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
  })
  const env = {
    ...nodeEnv,
    net: options.wrapNet?.(nodeEnv.net) ?? nodeEnv.net,
    http: options.wrapHttp?.(nodeEnv.http) ?? nodeEnv.http,
  }
  const stateDisk = new NodeDisk({ root: stateDir })
  const trackers = options.trackers ?? true
  const transport = trackers
    ? (options.trackerTransport?.(env) ?? new NodeTrackerTransport(env))
    : undefined
  const pieceHashing = new WorkerPieceHashing()
  const release = async (): Promise<void> => {
    transport?.close()
    await pieceHashing.close()
  }
  const dht = options.dht === false ? false : await dhtConfig(options.dht, stateDir)
  const peer = await promised<PeerApi>((done) =>
    Peer.start(
      env,
      {
        listen: options.listen,
        uploadRateLimit: options.uploadRateLimit ?? 0,
        downloadRateLimit: options.downloadRateLimit ?? 0,
        connectionsMax: options.connectionsMax ?? CONNECTIONS_MAX_DEFAULT,
        dht,
        trackers,
        ...(options.swarm === undefined ? {} : { swarm: options.swarm }),
        ...(options.transports === undefined ? {} : { transports: options.transports }),
        stateDisk,
        pieceHashing,
        ...(transport === undefined ? {} : { trackerTransport: transport }),
        ...(options.reachability === undefined ? {} : { reachability: options.reachability }),
        defer: (fn) => setImmediate(fn),
      },
      done,
    ),
  ).catch(async (error: unknown) => {
    await release()
    throw error
  })
  return withRelease(peer, release)
}

async function dhtConfig(
  dht: Exclude<NodePeerOptions['dht'], false>,
  stateDir: string,
): Promise<{
  port: number
  bind6?: Address
  bootstrap: readonly Address[]
  statePath?: string
  stateDisk?: Disk
}> {
  const base = {
    port: dht.port,
    ...(dht.bind6 === undefined ? {} : { bind6: dht.bind6 }),
    bootstrap: dht.bootstrap,
  }
  if (dht.statePath === null) return base
  const path = dht.statePath ?? DHT_STATE_FILE
  if (!isAbsolute(path)) {
    await mkdir(stateDir, { recursive: true })
    return { ...base, statePath: path }
  }
  // A table kept elsewhere (--dht-state): its own disk, without a root.
  await mkdir(dirname(path), { recursive: true })
  return { ...base, statePath: path, stateDisk: new NodeDisk() }
}

/** The peer, whose `stop` then releases the Node resources the peer does not own. */
function withRelease(peer: PeerApi, release: () => Promise<void>): PeerApi {
  return {
    add: (options, done) => peer.add(options, done),
    remove: (id, options, done) => peer.remove(id, options, done),
    pause: (id, done) => peer.pause(id, done),
    resume: (id, done) => peer.resume(id, done),
    setFilePriorities: (id, priorities, done) => peer.setFilePriorities(id, priorities, done),
    list: () => peer.list(),
    torrent: (id) => peer.torrent(id),
    metainfo: (id) => peer.metainfo(id),
    setLimits: (limits) => peer.setLimits(limits),
    limits: () => peer.limits(),
    setListenPort: (port, done) => peer.setListenPort(port, done),
    setDht: (dht, done) => peer.setDht(dht, done),
    dhtStatus: () => peer.dhtStatus(),
    dhtNode: () => peer.dhtNode(),
    swarmView: (id) => peer.swarmView(id),
    dhtBuckets: () => peer.dhtBuckets(),
    dhtLookups: () => peer.dhtLookups(),
    dhtStored: () => peer.dhtStored(),
    use: (plugin, done) => peer.use(plugin, done),
    plugins: () => peer.plugins(),
    metrics: () => peer.metrics(),
    onEvent: (listener) => peer.onEvent(listener),
    get listenAddress() {
      return peer.listenAddress
    },
    stop: (done) =>
      peer.stop((stopped) => {
        void release().then(
          () => done(stopped),
          () => done(stopped),
        )
      }),
  }
}

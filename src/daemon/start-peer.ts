import type { PeerTransports } from '../drivers/bittorrent/peer-transports.js'
import { isIPv4 } from 'node:net'
import { join } from 'node:path'
import { parseAddress, type Address } from '../core/address.js'
import type { Log } from '../core/env.js'
import { GnutellaPlugin } from '../drivers/gnutella/gnutella-plugin.js'
import { MapReduceWorkerPlugin } from '../drivers/mapreduce/plugin.js'
import { startNodePeer } from '../peer/node-peer.js'
import type { ReachabilityConfig } from '../peer/reachability-types.js'
import type { PeerApi } from '../peer/types.js'
import { call } from './call.js'
import type { DaemonConfig } from './config.js'
import { MapReduceJobs } from './mapreduce-jobs.js'
import type { EncryptionPolicy } from '../protocols/mse/index.js'

/**
 * The one place where the daemon obtains its Peer. Everything else in src/daemon talks to the
 * PeerApi interface only, so the HTTP layer is tested against an in-memory double and the real
 * node is wired here alone.
 */
export interface PeerStartRequest {
  /** Absolute folder of the content disk: every torrent's `saveDir` is inside it. */
  readonly downloadDir: string
  /** Absolute folder for resume data and the DHT table (never the download folder). */
  readonly stateDir: string
  readonly listen: Address
  /** Bytes per second, 0 = unlimited. */
  readonly uploadRateLimit: number
  readonly downloadRateLimit: number
  readonly connectionsMax: number
  /** `statePath` is relative to `stateDir`. */
  readonly dht:
    | {
        readonly port: number
        /** BEP 32: an IPv6 address the DHT binds as well. */
        readonly bind6?: Address
        readonly bootstrap: readonly Address[]
        readonly statePath: string
      }
    | false
  readonly trackers: boolean
  /** MSE/PE policy (default `prefer`). */
  readonly encryption?: EncryptionPolicy
  /** uTP and TCP, or one of them (default both). */
  readonly transports?: PeerTransports
  /** The reachability service (`[reach] enabled = true`). */
  readonly reachability?: ReachabilityConfig
  readonly log: Log
}

/** Starts a node; rejects with the cause (port in use, unwritable folder) when it cannot. */
export type PeerFactory = (request: PeerStartRequest) => Promise<PeerApi>

/** The real node on this machine (src/peer/node-peer.ts). */
export const startNodePeerFactory: PeerFactory = (request) =>
  startNodePeer({
    downloadDir: request.downloadDir,
    stateDir: request.stateDir,
    listen: request.listen,
    uploadRateLimit: request.uploadRateLimit,
    downloadRateLimit: request.downloadRateLimit,
    connectionsMax: request.connectionsMax,
    trackers: request.trackers,
    ...(request.encryption === undefined ? {} : { swarm: { encryption: request.encryption } }),
    ...(request.transports === undefined ? {} : { transports: request.transports }),
    ...(request.reachability === undefined ? {} : { reachability: request.reachability }),
    dht:
      request.dht === false
        ? false
        : {
            port: request.dht.port,
            ...(request.dht.bind6 === undefined ? {} : { bind6: request.dht.bind6 }),
            bootstrap: request.dht.bootstrap,
            statePath: request.dht.statePath,
          },
  })

/**
 * The daemon's Gnutella servent (`[gnutella] enabled = true`): a plug-in of the peer on the
 * peer's Env, bound on
 * the peer's address at `[gnutella] port`, downloading into the download dir, its host cache in
 * the state folder. Undefined when disabled; rejects when it cannot start (port in use).
 */
export async function useGnutella(
  peer: PeerApi,
  config: DaemonConfig,
  stateDir: string,
  log: Log,
): Promise<GnutellaPlugin | undefined> {
  const c = config.gnutella
  if (!c.enabled) return undefined
  const bind = config.peer.bind
  const settings = {
    bind: { host: bind, port: c.port },
    // QueryHits carry an IPv4 address: a wildcard or IPv6 bind advertises loopback.
    advertisedHost: bind === '0.0.0.0' || !isIPv4(bind) ? '127.0.0.1' : bind,
    hosts: c.hosts.map((h) => parseAddress(h)).filter((a): a is Address => a !== undefined),
    ultrapeer: c.ultrapeer,
    ...(c.shareDir === undefined ? {} : { shareDir: c.shareDir }),
    downloadDir: config.peer.downloadDir,
    hostCacheFile: join(stateDir, 'gnutella-hosts.txt'),
    log: (line: string) => log.log('info', line),
  }
  // Built on the peer's own Env (its clock, sockets, randomness), not a second Node Env.
  let plugin: GnutellaPlugin | undefined
  await call<void>((done) => peer.use((env) => (plugin = new GnutellaPlugin(env, settings)), done))
  return plugin
}

/**
 * The daemon's MapReduce (`[mapreduce]`): the job runner for API submissions when enabled, and
 * the worker plug-in when `master` is set (this node then serves that master's jobs, its map
 * outputs in the state folder). Both are plug-ins of the peer, so they stop with it.
 */
export async function useMapReduce(
  peer: PeerApi,
  config: DaemonConfig,
  stateDir: string,
  log: Log,
): Promise<{ jobs: MapReduceJobs | undefined; worker: MapReduceWorkerPlugin | undefined }> {
  const c = config.mapreduce
  let jobs: MapReduceJobs | undefined
  let worker: MapReduceWorkerPlugin | undefined
  if (c.enabled) {
    const runner = new MapReduceJobs({ workers: c.workers, log })
    await call<void>((done) => peer.use(runner, done))
    jobs = runner
  }
  if (c.master !== undefined) {
    const bind = config.peer.bind
    const plugin = new MapReduceWorkerPlugin({
      master: c.master,
      workDir: join(stateDir, 'mapreduce-worker'),
      // The shuffle server binds the peer's address; a wildcard advertises loopback, as Gnutella.
      bindHost: bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind,
    })
    await call<void>((done) => peer.use(plugin, done))
    worker = plugin
  }
  return { jobs, worker }
}

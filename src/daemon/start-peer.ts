import type { Address } from '../core/address.js'
import type { Log } from '../core/env.js'
import { startNodePeer } from '../peer/node-peer.js'
import type { PeerApi } from '../peer/types.js'

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
    | { readonly port: number; readonly bootstrap: readonly Address[]; readonly statePath: string }
    | false
  readonly trackers: boolean
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
    dht:
      request.dht === false
        ? false
        : {
            port: request.dht.port,
            bootstrap: request.dht.bootstrap,
            statePath: request.dht.statePath,
          },
  })

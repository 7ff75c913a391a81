import type { Address } from '../core/address.js'
import type { Log } from '../core/env.js'
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

/**
 * The real node (src/peer/node-peer.ts). The peer layer is built on another branch; until it
 * is merged, `plexus daemon` says so and exits 1.
 */
export const startNodePeerFactory: PeerFactory = () =>
  Promise.reject(new Error('peer layer not merged yet: plexus daemon cannot start a node'))

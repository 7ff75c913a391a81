import type { PeerTransports } from '../drivers/bittorrent/peer-transports.js'
import type { Address } from '../core/address.js'
import type { Disk, Env } from '../core/env.js'
import type { Duration } from '../core/time.js'
import type { DhtAccess } from '../drivers/bittorrent/dht-announcing.js'
import type { TrackerTransport } from '../drivers/bittorrent/tracker-transport.js'
import type { PieceHashing, StorageLimits } from '../protocols/bittorrent/storage/index.js'
import type { SwarmConfig } from '../protocols/bittorrent/swarm/index.js'
import type { SharedRateLimits } from './shared-limits.js'
import type { PeerEvent } from './types.js'

/**
 * What a peer shares with each of its torrents: one Env, one state disk, one peer id, one
 * listener, one hashing driver, one tracker transport, one DHT node, the peer-wide rate
 * limits and the event stream.
 */
export interface TorrentHost {
  readonly env: Env
  readonly stateDisk: Disk
  readonly peerId: Uint8Array
  /** The shared listener's address (its port is announced to trackers and the DHT). */
  readonly listen: Address
  readonly pieceHashing: PieceHashing
  readonly defer: (fn: () => void) => void
  readonly trackers: TrackerTransport | undefined
  readonly dht: DhtAccess | undefined
  /** The peer's defaults for every swarm. */
  readonly swarm: Partial<SwarmConfig>
  /** TCP, uTP or both for outgoing connections (incoming: the peer's listener). */
  readonly transports: PeerTransports | undefined
  /** Storage bounds of every torrent (caches, buffers); default the storage layer's own. */
  readonly storageLimits: Partial<StorageLimits> | undefined
  readonly limits: SharedRateLimits
  readonly metadataTimeout: Duration
  emit(event: PeerEvent): void
  /** A torrent started or stopped needing connections: the budget is shared anew. */
  connectionsChanged(): void
  /** Runs a paused torrent's file check after those queued before it (one at a time). */
  queueCheck(job: (release: () => void) => void): void
}

/**
 * Where a peer address came from. Every peer-discovery mechanism (trackers, PEX, the DHT, a
 * directory server, a user's `--peer`) ends in the same event, so the swarm consumes one shape
 * and can count, rate-limit or prefer sources without knowing how each one works.
 */
import type { Address } from '../../../core/address.js'

export type PeerSourceKind = 'tracker' | 'pex' | 'dht' | 'manual' | 'directory'

export interface PeerSource {
  readonly kind: PeerSourceKind
  /** Which one, for logs and metrics: a tracker URL, a PEX peer's address, ... */
  readonly label?: string
}

/** The contract between discovery and the swarm: new candidate addresses, never validated. */
export interface PeersDiscovered {
  readonly type: 'peers_discovered'
  readonly source: PeerSource
  readonly peers: readonly Address[]
}

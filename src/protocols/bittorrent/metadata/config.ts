/**
 * Every knob of the metadata fetcher, with its default and the reason for it. Counts carry
 * their bound in the name, so the config reads as the list of limits that keep one magnet
 * fetch's memory and work bounded against hostile peers.
 */
import type { Hashing } from '../../../core/env.js'
import type { Id160 } from '../../../core/id.js'
import type { Random } from '../../../core/random.js'
import { seconds, type Duration, type Instant } from '../../../core/time.js'

export interface MetadataConfig {
  /** Connections at once, half-open included: a magnet needs a few good peers, not fifty. */
  readonly connectionsMax: number
  /** Addresses waiting to be dialled; new ones beyond are dropped (a tracker can send 200). */
  readonly candidatesMax: number
  /** ut_metadata requests outstanding per peer: enough to hide one round trip, and spread. */
  readonly requestsPerPeerMax: number
  /** A request unanswered this long goes to another peer (16 KiB should take far less). */
  readonly requestTimeout: Duration
  /** Timed-out requests after which a peer is dropped as too slow to be worth a slot. */
  readonly requestTimeoutsMax: number
  /** Rejects after which a peer is dropped: it does not have the metadata, or will not share. */
  readonly rejectsMax: number
  /** An outbound connect not completed by then is abandoned (the driver may wait longer). */
  readonly connectTimeout: Duration
  /** Both handshakes (BEP 3, then BEP 10) must arrive within this time of connecting. */
  readonly handshakeTimeout: Duration
  /** Send a keep-alive after this much send silence (BEP 3 peers drop at about 2 min). */
  readonly keepAliveInterval: Duration
  /** Close a connection silent for this long. */
  readonly inactivityTimeout: Duration
  /** Hosts remembered as misbehaving (wrong data, protocol faults); never dialled again. */
  readonly bannedHostsMax: number
  /** Addresses reported in `peers_known`. */
  readonly knownPeersMax: number
  /** `v` in our extended handshake. */
  readonly clientName: string
  /** `p` in our extended handshake, when we listen; inbound peers may then dial us later. */
  readonly listenPort: number | undefined
}

export const DEFAULT_METADATA_CONFIG: MetadataConfig = {
  connectionsMax: 8,
  candidatesMax: 200,
  requestsPerPeerMax: 2,
  requestTimeout: seconds(10),
  requestTimeoutsMax: 2,
  rejectsMax: 3,
  connectTimeout: seconds(15),
  handshakeTimeout: seconds(10),
  keepAliveInterval: seconds(60),
  inactivityTimeout: seconds(120),
  bannedHostsMax: 256,
  knownPeersMax: 200,
  clientName: 'plexus/0.1.0',
  listenPort: undefined,
}

export const metadataConfig = (overrides: Partial<MetadataConfig> = {}): MetadataConfig => ({
  ...DEFAULT_METADATA_CONFIG,
  ...overrides,
})

export interface MetadataFetcherOptions {
  readonly infoHash: Id160
  /** Our 20-byte peer id. */
  readonly peerId: Uint8Array
  /** SHA-1 for the final check against the info-hash. */
  readonly hashing: Hashing
  /** Chooses which candidate to dial next. */
  readonly random: Random
  readonly now: Instant
  readonly config?: Partial<MetadataConfig>
}

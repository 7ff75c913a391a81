/**
 * One connection's state as the swarm sees it: the wire (framing, handshake, byte counters),
 * the four BEP 3 flags, what the peer has, our requests to it, its requests to us, and the
 * timestamps the batch tick checks. Plain data with no behaviour beyond tiny queries: the
 * swarm modules (`connections.ts`, `requests.ts`, `uploads.ts`, ...) act on it.
 */
import type { StreamTransport } from '../../../core/env.js'
import type { Address } from '../../../core/address.js'
import type { ConnectionId } from '../../../core/core.js'
import type { Instant } from '../../../core/time.js'
import { RateMeter } from '../choker/index.js'
import { Bitfield } from '../picker/index.js'
import { PeerWireConnection } from '../wire/index.js'
import { newSlowStart, type SlowStart } from './request-queue.js'

export type PeerPhase =
  /** Outbound connect in flight. */
  | 'connecting'
  /** TCP up, our handshake sent, waiting for the peer's. */
  | 'handshaking'
  | 'open'
  | 'closed'

const NO_EXTENSIONS: ReadonlyMap<string, number> = new Map()

export class Peer {
  phase: PeerPhase
  readonly wire: PeerWireConnection
  /** Where it accepts connections: the dialled address, or an inbound peer's host + `p`. */
  listenAddress: Address | undefined
  peerId: Uint8Array | undefined = undefined
  client: string | undefined = undefined
  /** Both handshakes set the BEP 6 / BEP 10 bit. */
  fast = false
  /**
   * It speaks BEP 52 for this torrent: a v2-only torrent, or a hybrid whose handshakes carried
   * the v2 hash (`connections.ts`). Only such peers are asked for hashes.
   */
  v2 = false
  extended = false
  /** The peer's handshake set the DHT bit (BEP 5): it takes a `port` message. */
  dht = false
  /** The peer's extended-message ids (its handshake's `m`). */
  remoteExtensions: ReadonlyMap<string, number> = NO_EXTENSIONS
  /** The peer's `reqq`, when it sent one. */
  reqq: number | undefined = undefined
  dhtPort: number | undefined = undefined

  amChoking = true
  amInterested = false
  peerChoking = true
  peerInterested = false

  readonly has: Bitfield
  /** Pieces the peer has that we have not verified: we are interested while above 0. */
  wanted = 0

  // ---- our requests to the peer --------------------------------------------------------
  /** Block keys (`Geometry.key`) requested and not yet answered. */
  readonly requests = new Set<number>()
  /**
   * Block keys we asked this peer for and then released (cancel, BEP 3 choke, snub): they
   * may still arrive, in flight when the release crossed them, and are no offence. Oldest
   * first, bounded by `requestsPerPeerMax` (`Requests.markReleased`).
   */
  readonly released = new Set<number>()
  /** Blocks that were never requested from it (dropped unread; over the bound: a ban). */
  unrequestedBlocks = 0
  /** BEP 6 pieces we may request while choked; the list mirrors the set for the picker. */
  readonly allowedFastIn = new Set<number>()
  readonly allowedFastInList: number[] = []
  snubbed = false
  /** Request-queue slow start (`request-queue.ts`). */
  readonly slowStart: SlowStart = newSlowStart()
  /** A piece it contributed to failed: it gets whole untouched pieces only (`reputation.ts`). */
  onParole = false
  /** Where the search for an untouched piece continues. */
  paroleCursor = 0
  /** When the current run of outstanding requests began, or the last block arrived. */
  lastProgressAt: Instant
  /** Requests sent while the peer choked us outside its allowed-fast set: must stay 0. */
  requestsWhileChoked = 0

  // ---- its requests to us --------------------------------------------------------------
  /** Our BEP 6 allowed-fast set for the peer. */
  allowedFastOut: ReadonlySet<number> = EMPTY_SET
  /** Queued requests, oldest first: torrent byte offset -> length. */
  readonly uploadQueued = new Map<number, number>()
  /** Requests being read from storage: torrent byte offset -> request key. */
  readonly uploadReading = new Map<number, number>()
  ignoredRequests = 0
  /** BEP 9 `data` messages sent on this connection (bounded: `metadata.ts`). */
  metadataServed = 0
  /** The driver's send buffer is above its high-water mark. */
  writeBlocked = false

  // ---- rates and times -----------------------------------------------------------------
  readonly downloadMeter: RateMeter
  readonly uploadMeter: RateMeter
  /** When the connection (TCP) was established; the handshake timeout counts from it. */
  connectedAt: Instant
  lastSentAt: Instant
  /**
   * The last tick (or the handshake) at which the connection was of use: interest either
   * way, or requests either way. Eviction picks the peer idle the longest (`connections.ts`).
   */
  lastUsefulAt: Instant
  lastUnchokedAt: Instant | undefined = undefined
  uploadedSinceUnchokeBytes = 0
  /** Its outbox has bytes the driver has not been given yet. */
  dirty = false
  /** Dialled because a BEP 55 relay said so (`holepunch.ts`): its failure asks again, spaced. */
  holepunch = false
  /** We sent it the first (full) ut_pex message. */
  pexStarted = false
  /** The transport the connection runs on, once the driver said (PEX flags uTP peers). */
  transport: StreamTransport | undefined = undefined
  readingPaused = false

  constructor(
    readonly id: ConnectionId,
    readonly outbound: boolean,
    /** The socket's far end (for inbound peers, an ephemeral port). */
    readonly remote: Address,
    pieceCount: number,
    now: Instant,
    /** The largest `piece` block accepted (our own request size, at least 16 KiB). */
    blockBytesMax: number,
  ) {
    this.phase = outbound ? 'connecting' : 'handshaking'
    this.wire = new PeerWireConnection({ pieceCount, blockBytesMax })
    this.listenAddress = outbound ? remote : undefined
    this.has = new Bitfield(pieceCount)
    this.downloadMeter = new RateMeter(now)
    this.uploadMeter = new RateMeter(now)
    this.connectedAt = now
    this.lastSentAt = now
    this.lastUsefulAt = now
    this.lastProgressAt = now
  }

  /** The picker's name for this peer. */
  get pickerId(): number {
    return this.id
  }

  get isSeed(): boolean {
    return this.has.hasAll()
  }

  /** Interest or requests in either direction: we are (or are about to be) trading. */
  get useful(): boolean {
    return (
      this.amInterested ||
      this.peerInterested ||
      this.requests.size > 0 ||
      this.uploadQueued.size + this.uploadReading.size > 0
    )
  }

  get uploadRequests(): number {
    return this.uploadQueued.size + this.uploadReading.size
  }

  /** Where bans and PEX point: the listen address when known, else the socket's far end. */
  get address(): Address {
    return this.listenAddress ?? this.remote
  }
}

const EMPTY_SET: ReadonlySet<number> = new Set()

/**
 * The state the swarm modules share, and the only place outputs are queued. Each module
 * (`connections`, `requests`, `uploads`, `verification`, `choking`, `pex`) is a small class
 * holding this context, as js-libp2p components hold theirs; the node routes inputs to them.
 *
 * Writes are batched: `send` appends to the peer's outbox (small messages share one scratch
 * buffer, blocks go by reference), and `flushWrites` turns every dirty outbox into `write`
 * outputs once per input, so a burst of requests is one write. Closing a peer flushes its own
 * outbox first, so its bytes always precede its `close`.
 */
import { addressKey, type Address } from '../../../core/address.js'
import type { ConnectionId, StreamOutput } from '../../../core/core.js'
import { equalBytes } from '../../../core/bytes.js'
import { assert } from '../../../core/errors.js'
import type { Id160 } from '../../../core/id.js'
import type { Random } from '../../../core/random.js'
import type { Instant } from '../../../core/time.js'
import { RateMeter } from '../choker/index.js'
import { pieceLengthAt, swarmHashes, type Metainfo } from '../metainfo/index.js'
import { PiecePicker, type Bitfield, type Geometry } from '../picker/index.js'
import { PIECE_HEADER_BYTES, type WireMessage } from '../wire/index.js'
import type { Sha1 } from './allowed-fast.js'
import { Candidates } from './candidates.js'
import { blockBytesMaxOf, validateSwarmConfig, type SwarmConfig } from './config.js'
import type { DisconnectReason, SwarmEvent, SwarmFaultCode } from './events.js'
import type { Peer } from './peer.js'
import type { TokenBucket } from './rate-limit.js'
import { Reputation } from './reputation.js'

export interface SwarmOptions {
  readonly metainfo: Metainfo
  /** Our 20-byte peer id. */
  readonly peerId: Uint8Array
  /** Pieces verified before we start (resume data or a full check). */
  readonly have: Bitfield
  readonly config: SwarmConfig
  readonly random: Random
  readonly now: Instant
  /** Our TCP listen port, announced in the extended handshake (`p`). */
  readonly listenPort?: number
  /** SHA-1 for the BEP 6 allowed-fast set; without it we give no allowed-fast pieces. */
  readonly sha1?: Sha1
  /** SHA-256 for BEP 52 hash requests (`hashes.ts`); without it we neither serve nor fetch. */
  readonly sha256?: Sha1
  /**
   * v2 torrents whose piece layers we lack (magnets): where fetched layers go, by pieces root
   * hex. The caller gives storage a metainfo whose `pieceLayers` is this same map.
   */
  readonly pieceLayerStore?: Map<string, Uint8Array>
  /**
   * Process-wide rate limits, on top of the torrent's own (`uploadRateLimit`,
   * `downloadRateLimit`): one bucket per direction, built by the caller (`globalRateLimiter`)
   * and passed to every core of the process. Every read / request must be affordable in both
   * and takes from both. Pure like the core's own buckets, so sharing them is deterministic.
   */
  readonly globalUploadLimiter?: TokenBucket
  readonly globalDownloadLimiter?: TokenBucket
}

export type Teardown = (peer: Peer, reason: DisconnectReason) => void

export class SwarmContext {
  readonly config: SwarmConfig
  readonly metainfo: Metainfo
  readonly peerId: Uint8Array
  readonly listenPort: number | undefined
  readonly sha1: Sha1 | undefined
  /** The hashes a handshake may name this torrent by (`swarmHashes`). */
  readonly swarmHashes: readonly Id160[]
  readonly sha256: Sha1 | undefined
  readonly pieceLayerStore: Map<string, Uint8Array> | undefined
  /** Files whose piece layer is still being fetched (`hashes.ts`); no downloading until 0. */
  layersMissing = 0
  readonly globalUploadLimiter: TokenBucket | undefined
  readonly globalDownloadLimiter: TokenBucket | undefined
  readonly picker: PiecePicker
  readonly geometry: Geometry
  readonly pieceCount: number
  readonly peers = new Map<ConnectionId, Peer>()
  readonly candidates: Candidates
  readonly reputation: Reputation
  /** Pieces confirmed by `pieceVerified(ok)` or given at start: what `have` may contain. */
  readonly confirmed: Bitfield
  /** Closed connections' hosts, so a hash failure found later still finds its culprit. */
  readonly departed = new Map<number, Address>()
  /** Our own listen addresses (learnt from accepted sockets and self-connections). */
  readonly selfAddresses = new Set<string>()
  readonly downloadMeter: RateMeter
  readonly uploadMeter: RateMeter
  downloadedBytes = 0
  uploadedBytes = 0
  /** Bytes handed to storage in `write_block` and not yet reported written or failed. */
  pendingWriteBytes = 0
  /** Blocks dropped because we never requested them from their sender (`Requests.onPiece`). */
  unrequestedBlocks = 0
  /** Pieces we lack whose priority is above 0; the download is complete at 0. */
  wantedMissing = 0
  /**
   * Connections in force: `config.peersMax` unless the owner lowered or raised it at run time
   * (`SwarmCore.setPeersMax`: a peer sharing one connection budget between its torrents).
   */
  peersMax: number
  /** The time of the input being handled. */
  now: Instant
  /** A write failed: no more downloading. */
  storageFailed = false
  shutDown = false
  /** Runs every module's cleanup for a peer that is gone; set by the node. */
  teardown: Teardown = () => undefined
  private readonly outputs: StreamOutput<SwarmEvent>[] = []
  private readonly dirtyPeers: Peer[] = []
  private nextConnection = 1

  constructor(options: SwarmOptions) {
    const { metainfo, config } = options
    assert(options.peerId.length === 20, 'peer id must be 20 bytes')
    assert(options.have.length === metainfo.pieceCount, 'have bitfield length')
    validateSwarmConfig(config)
    this.config = config
    this.peersMax = config.peersMax
    this.metainfo = metainfo
    this.peerId = options.peerId
    this.listenPort = options.listenPort
    this.sha1 = options.sha1
    this.swarmHashes = swarmHashes(metainfo)
    this.sha256 = options.sha256
    this.pieceLayerStore = options.pieceLayerStore
    this.now = options.now
    this.globalUploadLimiter = options.globalUploadLimiter
    this.globalDownloadLimiter = options.globalDownloadLimiter
    this.picker = new PiecePicker(
      {
        totalLength: metainfo.totalLength,
        pieceLength: metainfo.pieceLength,
        endgameDuplicatesMax: config.endgameDuplicatesMax,
        blockLength: config.blockBytes,
        ...(config.randomFirstPieces === undefined
          ? {}
          : { randomFirstPieces: config.randomFirstPieces }),
      },
      options.random.fork('picker'),
    )
    this.geometry = this.picker.geometry
    // A take larger than the burst would never be affordable (and `readyAt` would spin).
    const up = options.globalUploadLimiter
    const down = options.globalDownloadLimiter
    assert(
      up === undefined || up.unlimited || up.burst >= blockBytesMaxOf(config) + PIECE_HEADER_BYTES,
      'global upload limiter: burst below a block and its header',
    )
    assert(
      down === undefined || down.unlimited || down.burst >= this.geometry.blockLength,
      'global download limiter: burst below a block',
    )
    this.pieceCount = metainfo.pieceCount
    for (const piece of options.have.ones()) this.picker.pieceVerified(piece)
    this.confirmed = options.have.copy()
    this.wantedMissing = this.pieceCount - this.picker.verifiedCount
    this.candidates = new Candidates(config)
    this.reputation = new Reputation({
      hashFailuresBanThreshold: config.hashFailuresBanThreshold,
      soleHashFailuresBanThreshold: config.soleHashFailuresBanThreshold,
      hostsMax: config.reputationHostsMax,
    })
    this.downloadMeter = new RateMeter(options.now)
    this.uploadMeter = new RateMeter(options.now)
  }

  /**
   * Every wanted piece (priority above 0, see `SwarmCore.setFilePriorities`) is verified:
   * the download is done, even if skipped pieces are missing.
   */
  get complete(): boolean {
    return this.wantedMissing === 0
  }

  /** We have every piece of the torrent: a seed (partial-by-choice is not one). */
  get haveAll(): boolean {
    return this.picker.verifiedCount === this.pieceCount
  }

  /** We lack the piece and its priority is above 0 (skip). */
  wants(piece: number): boolean {
    return !this.picker.hasPiece(piece) && this.picker.piecePriority(piece) > 0
  }

  /** Recounts `wantedMissing` after priorities changed. O(pieces). */
  recountWanted(): void {
    let missing = 0
    for (let piece = 0; piece < this.pieceCount; piece++) if (this.wants(piece)) missing++
    this.wantedMissing = missing
  }

  /**
   * Whether we still download: not complete, no storage failure, not shut down, and every
   * piece verifiable (no piece layer still being fetched).
   */
  get downloading(): boolean {
    return !this.complete && !this.storageFailed && !this.shutDown && this.layersMissing === 0
  }

  pieceBytes(piece: number): number {
    return pieceLengthAt(this.metainfo, piece)
  }

  allocateConnection(): ConnectionId {
    const id = this.nextConnection++
    // Connection ids double as picker peer ids, which are int32.
    assert(id <= 0x7fffffff, 'connection ids exhausted')
    return id as ConnectionId
  }

  emit(event: SwarmEvent): void {
    this.outputs.push({ type: 'event', event })
  }

  output(output: StreamOutput<SwarmEvent>): void {
    this.outputs.push(output)
  }

  send(peer: Peer, message: WireMessage): void {
    peer.wire.send(message)
    peer.lastSentAt = this.now
    if (!peer.dirty) {
      peer.dirty = true
      this.dirtyPeers.push(peer)
    }
  }

  /** The outputs queued so far, every dirty outbox flushed into writes. */
  takeOutputs(): StreamOutput<SwarmEvent>[] {
    for (const peer of this.dirtyPeers) this.flushPeer(peer)
    this.dirtyPeers.length = 0
    return this.outputs.splice(0)
  }

  /** Closes a connection we decide to drop, and runs its teardown. */
  close(peer: Peer, reason: DisconnectReason, graceful = true): void {
    if (peer.phase === 'closed') return
    if (graceful) this.flushPeer(peer)
    this.outputs.push({ type: 'close', connection: peer.id, graceful })
    this.teardown(peer, reason)
  }

  /** A remote fault: report it and reset the connection (B8). */
  fault(peer: Peer, code: SwarmFaultCode, detail: string): void {
    if (peer.phase === 'closed') return
    this.emit({ type: 'remote_fault', address: peer.address, code, detail })
    this.close(peer, 'remote_fault', false)
  }

  /**
   * Whether a handshake's info-hash names this torrent: `metainfo.infoHash`, or for a hybrid
   * also its SHA-256 truncated to 20 bytes (BEP 52: v2 peers join a hybrid's swarm under it).
   */
  isOurInfoHash(hash: Uint8Array): boolean {
    return this.swarmHashes.some((ours) => equalBytes(hash, ours))
  }

  isSelf(address: Address): boolean {
    return this.selfAddresses.has(addressKey(address))
  }

  private flushPeer(peer: Peer): void {
    peer.dirty = false
    if (peer.phase === 'closed' || peer.phase === 'connecting') return
    for (const bytes of peer.wire.takeOutbox()) {
      this.outputs.push({ type: 'write', connection: peer.id, bytes })
    }
  }
}

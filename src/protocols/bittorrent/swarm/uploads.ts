/**
 * Serving blocks (BEP 3 `request` / `piece` / `cancel`, BEP 6 `reject_request` and the
 * allowed-fast set). A valid request from a peer we unchoked (or for one of its allowed-fast
 * pieces) is queued; up to `uploadReadsPerPeerMax` queued requests at a time become
 * `read_block` events, and each `blockRead` answer goes out as a `piece` message whose block
 * is the storage's buffer itself (the outbox writes a 13-byte header, then the block by
 * reference). While the driver reports the connection write-blocked, no new reads start, so
 * a slow peer holds at most its reads in flight in memory.
 *
 * Hostile peers: requests outside the torrent close the connection; requests over
 * `peerRequestsMax` are rejected (BEP 6) or close it; requests we must refuse (choked, a
 * piece we lack) get `reject_request` with BEP 6 and are ignored without, up to
 * `ignoredRequestsMax` per unchoke period.
 *
 * Upload rate limit (`uploadRateLimit`, a token bucket per torrent, and the process's
 * `globalUploadLimiter` when given): each `read_block` first takes the block plus its piece
 * header from both. A peer whose next request finds them short waits in `waiting`; waiting
 * peers are served round robin, one read per peer per turn, and a peer with new requests
 * joins the back of the line rather than jumping it.
 * The node sets its `upload` timer to `wakeAt`, the instant the head of the line is
 * affordable in both; a wake that finds the global bucket spent by another core meanwhile
 * serves nobody and the timer moves to the new instant. Unlimited (0, no global limiter),
 * reads start at once as before.
 */
import type { Instant } from '../../../core/time.js'
import { PIECE_HEADER_BYTES } from '../wire/index.js'
import { blockBytesMaxOf } from './config.js'
import { allowedFastSet } from './allowed-fast.js'
import type { SwarmContext } from './context.js'
import type { Peer } from './peer.js'
import { Throttle, TokenBucket } from './rate-limit.js'

interface PendingRead {
  readonly peer: Peer
  readonly offset: number
  readonly length: number
}

export class Uploads {
  /** `read_block` requests in flight, by request key. */
  private readonly reads = new Map<number, PendingRead>()
  private nextKey = 1
  /** The torrent's bucket and the global one. */
  private readonly bucket: Throttle
  /** Peers with queued requests that wait for upload tokens, in turn order. */
  private readonly waiting = new Set<Peer>()

  constructor(private readonly ctx: SwarmContext) {
    const own = new TokenBucket(
      {
        rate: ctx.config.uploadRateLimit,
        burstMin: blockBytesMaxOf(ctx.config) + PIECE_HEADER_BYTES,
      },
      ctx.now,
    )
    this.bucket = new Throttle([own, ctx.globalUploadLimiter])
  }

  get readsInFlight(): number {
    return this.reads.size
  }

  /** Peers waiting for upload tokens. */
  get waitingPeers(): number {
    return this.waiting.size
  }

  /** When the first waiting peer's next request becomes affordable; undefined: nobody waits. */
  get wakeAt(): Instant | undefined {
    for (const peer of this.waiting) {
      const head = peer.uploadQueued.values().next()
      // A shared bucket made unlimited meanwhile (`setRate`): serve the line at once.
      if (head.done !== true) {
        return this.bucket.readyAt(head.value + PIECE_HEADER_BYTES) ?? this.ctx.now
      }
      return this.ctx.now
    }
    return undefined
  }

  /** The `upload` timer: tokens are back, serve the waiting peers. */
  onQuota(): void {
    this.serveWaiting()
  }

  onRequest(peer: Peer, index: number, begin: number, length: number): void {
    const { ctx } = this
    const inRange =
      index < ctx.pieceCount &&
      length > 0 &&
      length <= blockBytesMaxOf(ctx.config) &&
      begin + length <= ctx.pieceBytes(index)
    if (!inRange) return ctx.fault(peer, 'out_of_range', `request ${index}/${begin}+${length}`)
    const allowed = !peer.amChoking || peer.allowedFastOut.has(index)
    if (!allowed || !ctx.picker.hasPiece(index)) return this.refuse(peer, index, begin, length)
    if (peer.uploadRequests >= ctx.config.peerRequestsMax) {
      if (!peer.fast) {
        return ctx.fault(peer, 'limit_exceeded', `over ${ctx.config.peerRequestsMax} requests`)
      }
      return ctx.send(peer, { type: 'reject_request', index, begin, length })
    }
    const offset = index * ctx.metainfo.pieceLength + begin
    if (peer.uploadQueued.has(offset) || peer.uploadReading.has(offset)) return
    peer.uploadQueued.set(offset, length)
    this.pump(peer)
  }

  onCancel(peer: Peer, index: number, begin: number, length: number): void {
    const offset = index * this.ctx.metainfo.pieceLength + begin
    const reading = peer.uploadReading.get(offset)
    if (reading !== undefined) {
      peer.uploadReading.delete(offset)
      this.reads.delete(reading)
    } else if (!peer.uploadQueued.delete(offset)) return
    // BEP 6 peers account for every request: answer a cancelled one with a reject (libtorrent).
    if (peer.fast) this.ctx.send(peer, { type: 'reject_request', index, begin, length })
    this.pump(peer)
  }

  /** Storage answered `read_block`; `bytes` undefined means the read failed. */
  blockRead(requestKey: number, bytes: Uint8Array | undefined): void {
    const { ctx } = this
    const read = this.reads.get(requestKey)
    if (read === undefined) return
    this.reads.delete(requestKey)
    const { peer, offset, length } = read
    if (peer.phase === 'closed' || peer.uploadReading.get(offset) !== requestKey) return
    peer.uploadReading.delete(offset)
    const index = Math.floor(offset / ctx.metainfo.pieceLength)
    const begin = offset - index * ctx.metainfo.pieceLength
    if (bytes === undefined || bytes.length !== length) {
      if (peer.fast) ctx.send(peer, { type: 'reject_request', index, begin, length })
    } else {
      ctx.send(peer, { type: 'piece', index, begin, block: bytes })
      peer.uploadMeter.add(ctx.now, length)
      peer.uploadedSinceUnchokeBytes += length
      ctx.uploadMeter.add(ctx.now, length)
      ctx.uploadedBytes += length
    }
    this.pump(peer)
  }

  /** We choked the peer: drop its requests except allowed-fast ones (rejecting them, BEP 6). */
  choked(peer: Peer): void {
    for (const [offset, length] of peer.uploadQueued) {
      if (this.keepWhileChoked(peer, offset)) continue
      peer.uploadQueued.delete(offset)
      this.rejectOffset(peer, offset, length)
    }
    for (const [offset, key] of peer.uploadReading) {
      if (this.keepWhileChoked(peer, offset)) continue
      const read = this.reads.get(key)
      peer.uploadReading.delete(offset)
      this.reads.delete(key)
      if (read !== undefined) this.rejectOffset(peer, offset, read.length)
    }
    if (peer.uploadQueued.size === 0) this.waiting.delete(peer)
  }

  unchoked(peer: Peer): void {
    peer.ignoredRequests = 0
  }

  writeBlocked(peer: Peer): void {
    peer.writeBlocked = true
  }

  writable(peer: Peer): void {
    peer.writeBlocked = false
    this.pump(peer)
  }

  /**
   * BEP 6: once we know the peer is not a seed, give it its allowed-fast set: announce the
   * pieces of it we have now, and the others as we verify them (`Requests.pieceVerified`).
   */
  grantAllowedFast(peer: Peer): void {
    const { ctx } = this
    const { sha1, config } = ctx
    if (!peer.fast || sha1 === undefined || peer.isSeed) return
    if (ctx.pieceCount <= config.allowedFastPiecesMin || peer.allowedFastOut.size > 0) return
    const set = allowedFastSet(
      sha1,
      peer.remote.host,
      ctx.metainfo.infoHash,
      ctx.pieceCount,
      config.allowedFastCount,
    )
    peer.allowedFastOut = new Set(set)
    for (const piece of set) {
      if (ctx.picker.hasPiece(piece)) ctx.send(peer, { type: 'allowed_fast', index: piece })
    }
  }

  /** The peer is gone: forget its reads (their answers will be ignored). */
  peerLeft(peer: Peer): void {
    for (const key of peer.uploadReading.values()) this.reads.delete(key)
    peer.uploadReading.clear()
    peer.uploadQueued.clear()
    this.waiting.delete(peer)
  }

  /** Starts reads for queued requests while the peer can take more (and tokens allow). */
  private pump(peer: Peer): void {
    if (!this.bucket.unlimited) {
      if (this.canRead(peer) && peer.uploadQueued.size > 0) this.waiting.add(peer)
      else this.waiting.delete(peer)
      return this.serveWaiting()
    }
    while (this.canRead(peer) && this.startRead(peer));
  }

  /**
   * Round robin over the waiting peers: the first in line gets one read if the bucket holds
   * its next request, then goes to the back while it has more. Stops when the bucket is short
   * (the head keeps its place) or nobody waits. Peers that cannot read now (write-blocked,
   * reads full, queue emptied) leave the line; `pump` puts them back when that changes.
   */
  private serveWaiting(): void {
    const { ctx } = this
    for (;;) {
      const first = this.waiting.values().next()
      if (first.done === true) return
      const peer = first.value
      const head = peer.uploadQueued.values().next()
      if (head.done === true || !this.canRead(peer)) {
        this.waiting.delete(peer)
        continue
      }
      if (!this.bucket.take(ctx.now, head.value + PIECE_HEADER_BYTES)) return
      this.waiting.delete(peer)
      this.startRead(peer)
      if (peer.uploadQueued.size > 0 && this.canRead(peer)) this.waiting.add(peer)
    }
  }

  private canRead(peer: Peer): boolean {
    const readsMax = this.ctx.config.uploadReadsPerPeerMax
    return !peer.writeBlocked && peer.uploadReading.size < readsMax && peer.phase === 'open'
  }

  /** Emits `read_block` for the peer's oldest queued request; false when none is queued. */
  private startRead(peer: Peer): boolean {
    const { ctx } = this
    const { pieceLength } = ctx.metainfo
    const first = peer.uploadQueued.entries().next()
    if (first.done === true) return false
    const [offset, length] = first.value
    peer.uploadQueued.delete(offset)
    const requestKey = this.nextKey++
    this.reads.set(requestKey, { peer, offset, length })
    peer.uploadReading.set(offset, requestKey)
    const piece = Math.floor(offset / pieceLength)
    ctx.emit({
      type: 'read_block',
      requestKey,
      piece,
      begin: offset - piece * pieceLength,
      length,
    })
    return true
  }

  private refuse(peer: Peer, index: number, begin: number, length: number): void {
    const { ctx } = this
    if (peer.fast) return ctx.send(peer, { type: 'reject_request', index, begin, length })
    if (++peer.ignoredRequests > ctx.config.ignoredRequestsMax) {
      ctx.fault(peer, 'limit_exceeded', `${peer.ignoredRequests} requests we had to ignore`)
    }
  }

  private keepWhileChoked(peer: Peer, offset: number): boolean {
    return peer.allowedFastOut.has(Math.floor(offset / this.ctx.metainfo.pieceLength))
  }

  private rejectOffset(peer: Peer, offset: number, length: number): void {
    if (!peer.fast) return
    const { pieceLength } = this.ctx.metainfo
    const index = Math.floor(offset / pieceLength)
    this.ctx.send(peer, {
      type: 'reject_request',
      index,
      begin: offset - index * pieceLength,
      length,
    })
  }
}

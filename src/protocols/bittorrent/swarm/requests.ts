/**
 * Our side of the exchange as a downloader: what each peer has, whether we are interested,
 * and the request pipeline to each peer (BEP 3, BEP 6).
 *
 * Pipeline: to a peer that unchokes us (or, while it chokes us, for its allowed-fast pieces)
 * we keep `max(requestsPerPeerMin, rate * requestQueueTime / 16 KiB)` requests outstanding,
 * capped by its `reqq` and `requestsPerPeerMax`: libtorrent's bandwidth-delay-product queue,
 * so a fast peer is never idle for want of requests and a slow one does not hoard blocks;
 * with libtorrent's slow start (one more per block received) until the rate stops growing
 * (`request-queue.ts`).
 * It refills as each block arrives. The picker decides which blocks (rarest first, endgame
 * duplicates, and with `shareBusyBlocks` the tails of pieces requested elsewhere when the peer
 * has no free block, so its upload slot does not idle); here we only send them and keep our own per-peer set in step with the
 * picker's, so every release (cancel, reject, choke, snub, disconnect) reaches both.
 *
 * Releases: a choke without BEP 6 cancels everything implicitly (BEP 3); with BEP 6 we wait
 * for `reject_request`s. A peer that delivers nothing for `snubTimeout` while requests are
 * out is snubbed: its requests are cancelled and go to others, and it gets one at a time.
 * Peers whose last refill found nothing to request are "starved" and get another try when
 * blocks are released, so released blocks do not wait for the next tick.
 *
 * Download rate limit (`downloadRateLimit`, a token bucket per torrent, and the process's
 * `globalDownloadLimiter` when given): a refill asks for no more blocks than both hold, and
 * each request sent spends its block length from both (a parole pick of a whole piece may
 * overdraw; the debt is paid back first). Peers cut short wait in `throttled`; the node's
 * `download` timer fires at `wakeAt`, when both afford one block, and they are refilled in
 * turn (none, if another core spent the global bucket meanwhile: the timer moves to the new
 * instant). Blocks that arrive are always taken: the limit acts on what we ask for, so the
 * incoming rate follows it within one pipeline.
 */
import type { ConnectionId } from '../../../core/core.js'
import { elapsed, type Instant } from '../../../core/time.js'
import { partialPiecesLimit, type Bitfield, type Block } from '../picker/index.js'
import type { SwarmContext } from './context.js'
import { pickParole } from './parole-pick.js'
import type { Peer } from './peer.js'
import { Throttle, TokenBucket } from './rate-limit.js'
import {
  requestQueueTarget,
  slowStartOnBlock,
  slowStartOnTick,
  type RequestQueuePolicy,
} from './request-queue.js'

const NONE: Block[] = []

/** A piece message's block, checked against the torrent's geometry. */
interface BlockRef {
  piece: number
  begin: number
}

export interface BlockAccepted {
  (peer: Peer, piece: number): void
}

export class Requests {
  private readonly starved = new Set<Peer>()
  /** Peers whose last refill the download rate limit cut short, in turn order. */
  private readonly throttled = new Set<Peer>()
  /** The torrent's bucket and the global one (web seeds take from it too). */
  readonly bucket: Throttle
  private kickPending = false
  /** Reused for picker lookups: one `piece` message must not allocate a reference. */
  private readonly ref: BlockRef = { piece: 0, begin: 0 }
  private readonly queuePolicy: RequestQueuePolicy

  constructor(
    private readonly ctx: SwarmContext,
    /** Called for every block handed to storage (verification tracks contributors). */
    private readonly accepted: BlockAccepted,
    /** Bans the peer's host (it sent data we never asked for). */
    private readonly hostile: (peer: Peer, reason: string) => void,
  ) {
    const own = new TokenBucket(
      { rate: ctx.config.downloadRateLimit, burstMin: ctx.geometry.blockLength },
      ctx.now,
    )
    this.bucket = new Throttle([own, ctx.globalDownloadLimiter])
    this.queuePolicy = {
      queueTime: ctx.config.requestQueueTime,
      min: ctx.config.requestsPerPeerMin,
      max: ctx.config.requestsPerPeerMax,
    }
  }

  // ---- the download rate limit ---------------------------------------------------------

  /** When the bucket affords one block for the throttled peers; undefined: none waits. */
  get wakeAt(): Instant | undefined {
    if (this.throttled.size === 0) return undefined
    // A shared bucket made unlimited meanwhile (`setRate`): refill the line at once.
    return this.bucket.readyAt(this.ctx.geometry.blockLength) ?? this.ctx.now
  }

  /** The `download` timer: refill throttled peers in turn while a block is affordable. */
  onQuota(): void {
    const { ctx } = this
    const blockLength = ctx.geometry.blockLength
    // One pass: a peer refilled and still cut short is back in line for the next wake.
    for (const peer of [...this.throttled]) {
      if (this.bucket.affordable(ctx.now, blockLength) < 1) return
      this.refill(peer)
    }
  }

  // ---- availability and interest -------------------------------------------------------

  /**
   * The peer's BITFIELD (already validated) or BEP 6 have_all / have_none: all it has now,
   * replacing what we knew (libtorrent's `incoming_bitfield`). The picker first forgets the
   * old set, so no piece is counted twice. Requests for pieces it no longer claims stay
   * outstanding, as in libtorrent: the peer rejects them or the snub timer releases them.
   */
  onBitfield(peer: Peer, has: Bitfield): void {
    const { ctx } = this
    if (!peer.has.isEmpty()) {
      if (peer.has.equals(has)) return
      ctx.picker.peerLeft(peer.pickerId, peer.has)
      for (let piece = peer.has.nextSet(0); piece !== -1; piece = peer.has.nextSet(piece + 1)) {
        peer.has.clear(piece)
      }
    }
    let wanted = 0
    for (let piece = has.nextSet(0); piece !== -1; piece = has.nextSet(piece + 1)) {
      peer.has.set(piece)
      if (ctx.wants(piece)) wanted++
    }
    peer.wanted = wanted
    ctx.picker.peerBitfield(peer.pickerId, has)
    this.updateInterest(peer)
  }

  onHave(peer: Peer, piece: number): void {
    if (!peer.has.set(piece)) return
    this.ctx.picker.peerHave(peer.pickerId, piece)
    if (!this.ctx.wants(piece)) return
    peer.wanted++
    if (peer.amInterested) this.refill(peer)
    else this.updateInterest(peer)
  }

  /**
   * We verified `piece`: tell peers that lack it, and lose interest in those that have it.
   * `wasWanted`: its priority was above 0, so it counted in `peer.wanted`.
   */
  pieceVerified(piece: number, wasWanted: boolean): void {
    const { ctx } = this
    for (const peer of ctx.peers.values()) {
      if (peer.phase !== 'open') continue
      if (peer.has.get(piece)) {
        if (wasWanted) peer.wanted--
        this.updateInterest(peer)
      } else {
        ctx.send(peer, { type: 'have', index: piece })
        if (peer.allowedFastOut.has(piece)) ctx.send(peer, { type: 'allowed_fast', index: piece })
      }
    }
  }

  /** Sends interested / not_interested when our want changed; refills on becoming interested. */
  updateInterest(peer: Peer): void {
    const want = this.ctx.downloading && peer.wanted > 0
    if (want === peer.amInterested) return
    peer.amInterested = want
    this.ctx.send(peer, { type: want ? 'interested' : 'not_interested' })
    if (want) this.refill(peer)
    else this.starved.delete(peer)
  }

  // ---- the peer's choke state ----------------------------------------------------------

  onChoke(peer: Peer): void {
    if (peer.peerChoking) return
    peer.peerChoking = true
    // BEP 3: a choke discards every request. BEP 6 peers reject them one by one instead.
    if (!peer.fast && this.releaseAll(peer, false) > 0) this.kickStarved()
  }

  onUnchoke(peer: Peer): void {
    if (!peer.peerChoking) return
    peer.peerChoking = false
    this.refill(peer)
  }

  onAllowedFast(peer: Peer, piece: number): void {
    if (peer.allowedFastIn.has(piece)) return
    if (peer.allowedFastIn.size >= this.ctx.config.allowedFastInMax) return
    peer.allowedFastIn.add(piece)
    peer.allowedFastInList.push(piece)
    if (peer.peerChoking) this.refill(peer)
  }

  /** BEP 6 reject_request: the block is free for others (and this peer, later). */
  onReject(peer: Peer, piece: number, begin: number): void {
    const key = this.keyOf(piece, begin)
    if (key === -1 || !peer.requests.delete(key)) return
    this.ref.piece = piece
    this.ref.begin = begin
    this.ctx.picker.blockRequestRejected(peer.pickerId, this.ref)
    // Others may take the block now; not this peer until its own next event: it said no.
    this.starved.delete(peer)
    this.kickStarved()
  }

  // ---- blocks --------------------------------------------------------------------------

  /**
   * A `piece` message. `block` is a view into the received bytes; it is passed on as is.
   *
   * Only blocks we asked this peer for reach storage. A block we never requested from it is
   * dropped before the picker sees it (the picker would take any missing block, and a piece
   * holding a forged block fails its hash with every honest contributor blamed), counted,
   * and over `unrequestedBlocksMax` gets its host banned. A block we released (cancel, BEP 3
   * choke, snub timeout) may legitimately cross our release on the wire: it is no offence,
   * and it is kept if the picker still lacks it, since this peer was asked for it and is
   * blamed like any contributor should its piece fail (libtorrent likewise accepts a block
   * whose request timed out).
   */
  onPiece(peer: Peer, piece: number, begin: number, block: Uint8Array): void {
    const { ctx } = this
    const key = this.keyOf(piece, begin)
    if (key === -1 || block.length !== this.blockLength(piece, begin)) {
      return ctx.fault(peer, 'out_of_range', `piece ${piece}/${begin}+${block.length}`)
    }
    if (!peer.requests.delete(key) && !peer.released.delete(key)) {
      return this.unrequested(peer, piece, begin)
    }
    peer.lastProgressAt = ctx.now
    peer.snubbed = false
    peer.downloadMeter.add(ctx.now, block.length)
    slowStartOnBlock(peer.slowStart, this.queuePolicy)
    if (!ctx.downloading) return
    this.ref.piece = piece
    this.ref.begin = begin
    const result = ctx.picker.blockReceived(peer.pickerId, this.ref)
    for (const other of result.cancel) this.cancel(other, key, piece, begin)
    if (result.accepted) {
      ctx.downloadedBytes += block.length
      ctx.downloadMeter.add(ctx.now, block.length)
      ctx.pendingWriteBytes += block.length
      ctx.emit({ type: 'write_block', piece, begin, bytes: block })
      this.accepted(peer, piece)
    }
    this.refill(peer)
  }

  /** A block never requested from the peer: dropped; too many and its host is banned. */
  private unrequested(peer: Peer, piece: number, begin: number): void {
    const { ctx } = this
    peer.unrequestedBlocks++
    ctx.unrequestedBlocks++
    if (peer.unrequestedBlocks <= ctx.config.unrequestedBlocksMax) return
    ctx.emit({
      type: 'remote_fault',
      address: peer.address,
      code: 'limit_exceeded',
      detail: `${peer.unrequestedBlocks} unrequested blocks (last ${piece}/${begin})`,
    })
    this.hostile(peer, `sent ${peer.unrequestedBlocks} unrequested blocks`)
  }

  // ---- the pipeline --------------------------------------------------------------------

  /** Tops the peer's pipeline up to its target. Call whenever it may have room. */
  refill(peer: Peer): void {
    const { ctx } = this
    this.throttled.delete(peer)
    if (peer.phase !== 'open' || !peer.amInterested || !ctx.downloading) return
    const choked = peer.peerChoking
    if (choked && peer.allowedFastInList.length === 0) return
    const room = this.queueTarget(peer) - peer.requests.size
    if (room <= 0) return
    const want = Math.min(room, this.bucket.affordable(ctx.now, ctx.geometry.blockLength))
    if (want <= 0) {
      this.throttled.add(peer)
      return
    }
    let blocks = peer.onParole ? pickParole(this.ctx, peer, want) : NONE
    if (blocks.length === 0) {
      const sequential = ctx.config.sequential === true
      blocks = ctx.picker.pickBlocks(
        peer.pickerId,
        peer.has,
        want,
        choked
          ? { onlyPieces: peer.allowedFastInList, sequential }
          : {
              sequential,
              partialPiecesMax: partialPiecesLimit(ctx.peers.size),
              // Only to a peer with nothing outstanding: its slot would idle (libtorrent's
              // busy-block rule, without its wait for every piece to have started).
              shareBusy: ctx.config.shareBusyBlocks && peer.requests.size === 0,
            },
      )
    }
    if (peer.requests.size === 0 && blocks.length > 0) peer.lastProgressAt = ctx.now
    for (const block of blocks) {
      this.bucket.spend(ctx.now, block.length)
      const key = this.keyOf(block.piece, block.begin)
      peer.released.delete(key)
      peer.requests.add(key)
      if (choked && !peer.allowedFastIn.has(block.piece)) peer.requestsWhileChoked++
      ctx.send(peer, {
        type: 'request',
        index: block.piece,
        begin: block.begin,
        length: block.length,
      })
    }
    if (blocks.length < want) this.starved.add(peer)
    else this.starved.delete(peer)
    // Cut short by the rate limit, not the picker: wait for tokens at the back of the line.
    if (want < room && blocks.length >= want) this.throttled.add(peer)
  }

  /** Requests to keep outstanding: the bandwidth-delay product, in blocks (`request-queue.ts`). */
  queueTarget(peer: Peer): number {
    return requestQueueTarget(this.queuePolicy, {
      rate: peer.downloadMeter.rate(this.ctx.now),
      blockLength: this.ctx.geometry.blockLength,
      reqq: peer.reqq,
      snubbed: peer.snubbed,
      slowStart: peer.slowStart.queue,
    })
  }

  /**
   * Blocks were released: peers whose last refill came up short get another go when the
   * current input is done (`runKicks`), once, however many releases the input made.
   */
  kickStarved(): void {
    this.kickPending = true
  }

  /** Runs the pending kick; the node calls it before handing outputs to the driver. */
  runKicks(): void {
    if (!this.kickPending) return
    this.kickPending = false
    for (const peer of [...this.starved]) this.refill(peer)
  }

  /** The batch tick: snubs, and pipelines that lag their target (the rate grew). */
  tick(): void {
    const { ctx } = this
    let released = false
    for (const peer of ctx.peers.values()) {
      if (peer.phase !== 'open') continue
      const stalled = elapsed(peer.lastProgressAt, ctx.now) >= ctx.config.snubTimeout
      if (peer.requests.size > 0 && stalled) {
        peer.snubbed = true
        released = this.releaseAll(peer, true) > 0 || released
      }
      slowStartOnTick(peer.slowStart, peer.downloadMeter.rate(ctx.now), peer.snubbed)
      this.refill(peer)
    }
    if (released) this.kickStarved()
  }

  /**
   * Piece priorities changed: recount what each peer has that we want, update interest and
   * top pipelines up. O(peers * pieces), on a user's change only.
   */
  prioritiesChanged(): void {
    const { ctx } = this
    for (const peer of ctx.peers.values()) {
      if (peer.phase !== 'open') continue
      let wanted = 0
      const has = peer.has
      for (let piece = has.nextSet(0); piece !== -1; piece = has.nextSet(piece + 1)) {
        if (ctx.wants(piece)) wanted++
      }
      peer.wanted = wanted
      this.updateInterest(peer)
      this.refill(peer)
    }
  }

  /** Storage failed: stop asking for anything. */
  stopDownloading(): void {
    for (const peer of this.ctx.peers.values()) {
      if (peer.phase !== 'open') continue
      this.releaseAll(peer, true)
      this.updateInterest(peer)
    }
  }

  /** The peer is gone: its availability and requests leave the picker. */
  peerLeft(peer: Peer, wasOpen: boolean): void {
    this.starved.delete(peer)
    this.throttled.delete(peer)
    if (!wasOpen) return
    const { picker } = this.ctx
    picker.peerLeft(peer.pickerId, peer.has)
    const released = picker.peerGone(peer.pickerId)
    peer.requests.clear()
    if (released > 0) this.kickStarved()
  }

  /** Releases every outstanding request (with `cancel` messages when asked); returns how many. */
  releaseAll(peer: Peer, sendCancel: boolean): number {
    const { ctx } = this
    const count = peer.requests.size
    if (count === 0) return 0
    if (sendCancel) {
      for (const key of peer.requests) {
        const piece = ctx.geometry.pieceOfKey(key)
        const begin = ctx.geometry.indexOfKey(key) * ctx.geometry.blockLength
        ctx.send(peer, {
          type: 'cancel',
          index: piece,
          begin,
          length: this.blockLength(piece, begin),
        })
      }
    }
    ctx.picker.peerGone(peer.pickerId)
    // Blocks already on the wire may still come (`onPiece`).
    for (const key of peer.requests) this.markReleased(peer, key)
    peer.requests.clear()
    return count
  }

  /** Withdraws our request of the block from `peerId` (another source delivered it). */
  cancel(peerId: number, key: number, piece: number, begin: number): void {
    const other = this.ctx.peers.get(peerId as ConnectionId)
    if (other === undefined || !other.requests.delete(key)) return
    this.markReleased(other, key)
    this.ctx.send(other, {
      type: 'cancel',
      index: piece,
      begin,
      length: this.blockLength(piece, begin),
    })
  }

  /**
   * Remembers a released request so its block, if already on the wire, is not taken for
   * unrequested data. Bounded by one full pipeline: the oldest are forgotten first.
   */
  private markReleased(peer: Peer, key: number): void {
    const released = peer.released
    released.delete(key)
    if (released.size >= this.ctx.config.requestsPerPeerMax) {
      const oldest = released.values().next()
      if (oldest.done !== true) released.delete(oldest.value)
    }
    released.add(key)
  }

  /** The block key of (piece, begin), or -1 when it names no block of the torrent. */
  private keyOf(piece: number, begin: number): number {
    const { geometry } = this.ctx
    this.ref.piece = piece
    this.ref.begin = begin
    const index = geometry.indexOf(this.ref)
    return index === -1 ? -1 : geometry.key(piece, index)
  }

  private blockLength(piece: number, begin: number): number {
    return Math.min(this.ctx.geometry.blockLength, this.ctx.pieceBytes(piece) - begin)
  }
}

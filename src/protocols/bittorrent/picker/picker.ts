import { assert } from '../../../core/errors.js'
import type { Random } from '../../../core/random.js'
import type { Bitfield } from './bitfield.js'
import { Downloads, PIECE_NONE, PIECE_VERIFIED, type PieceState } from './downloads.js'
import { BLOCK_LENGTH_DEFAULT, Geometry, type Block, type BlockRef } from './geometry.js'
import type { PartialPiece } from './partial-piece.js'
import { inEndgame, pickBlocks, type PickContext, type PickOptions } from './pick.js'
import { PieceOrder } from './piece-order.js'

/**
 * The piece picker: a sans-IO policy object that the swarm core feeds with what peers have
 * and what happened to requests, and asks which blocks to request next. It composes
 * `PieceOrder` (availability and priority), `Downloads` (block states and requests in
 * flight) and `pick.ts` (the policy). It sends nothing and reads no clock.
 *
 * Peers are named by non-negative int32 ids chosen by the core. Inputs a remote peer can
 * trigger (a block, a reject) return a value for nonsense instead of throwing; inputs only
 * the core can get wrong (verifying a piece that is not complete) assert.
 */
export interface PickerConfig {
  readonly totalLength: number
  readonly pieceLength: number
  /** 16 KiB: larger requests may be refused by peers. */
  readonly blockLength?: number
  /** Pieces picked at random before rarest-first takes over (libtorrent's default 4). */
  readonly randomFirstPieces?: number
  /** Outstanding requests allowed per block in endgame, the first one included. */
  readonly endgameDuplicatesMax?: number
}

export const RANDOM_FIRST_PIECES_DEFAULT = 4
export const ENDGAME_DUPLICATES_MAX_DEFAULT = 2
/** Peer ids live in Int32Arrays. */
export const PEER_ID_MAX = 0x7fffffff

/** What `blockReceived` reports: keep the data?, and which peers to send `cancel` to. */
export interface BlockReceived {
  readonly accepted: boolean
  readonly cancel: readonly number[]
}

export class PiecePicker {
  readonly geometry: Geometry
  private readonly order: PieceOrder
  private readonly downloads: Downloads
  private readonly context: PickContext

  constructor(config: PickerConfig, random: Random) {
    const blockLength = config.blockLength ?? BLOCK_LENGTH_DEFAULT
    this.geometry = new Geometry(config.totalLength, config.pieceLength, blockLength)
    const duplicates = config.endgameDuplicatesMax ?? ENDGAME_DUPLICATES_MAX_DEFAULT
    assert(Number.isInteger(duplicates) && duplicates >= 1, `bad duplicates ${duplicates}`)
    this.order = new PieceOrder(this.geometry.pieceCount)
    this.downloads = new Downloads(this.geometry, duplicates)
    const { order, downloads } = this
    this.context = {
      order,
      downloads,
      random,
      randomFirstPieces: config.randomFirstPieces ?? RANDOM_FIRST_PIECES_DEFAULT,
      start: (piece: number): PartialPiece => {
        order.setUntouched(piece, false)
        return downloads.start(piece)
      },
    }
  }

  get pieceCount(): number {
    return this.geometry.pieceCount
  }

  // ---- availability ----------------------------------------------------------------------

  /** BEP 6 `have_all`. O(1). */
  peerHasAll(peer: number): void {
    this.order.peerHasAll(checkPeer(peer))
  }

  /** A HAVE that sets a new bit of the peer's bitfield (the core filters repeats). O(1). */
  peerHave(peer: number, piece: number): void {
    this.order.peerHave(checkPeer(peer), this.checkPiece(piece))
  }

  /** The peer's BITFIELD; BEP 6 `have_none` is an empty one. O(1) if full, else O(bits). */
  peerBitfield(peer: number, has: Bitfield): void {
    this.order.peerBitfield(checkPeer(peer), this.checkField(has))
  }

  /**
   * The peer disconnected (then also call `peerGone`), or restated its availability (then
   * `peerBitfield` follows); `has` is its bitfield at that moment.
   */
  peerLeft(peer: number, has: Bitfield): void {
    this.order.peerLeft(checkPeer(peer), this.checkField(has))
  }

  /** Connected peers that have the piece. */
  availability(piece: number): number {
    return this.order.availability(this.checkPiece(piece))
  }

  // ---- priorities ------------------------------------------------------------------------

  /** 0 skips the piece, 1..7 low to top (4 by default), as libtorrent's levels. */
  setPiecePriority(piece: number, priority: number): void {
    this.order.setPriority(this.checkPiece(piece), priority)
  }

  piecePriority(piece: number): number {
    return this.order.priority(this.checkPiece(piece))
  }

  // ---- picking ---------------------------------------------------------------------------

  /**
   * Up to `count` blocks to request from `peer`, which has the pieces in `peerHas`, marked
   * requested by it. Call when the peer unchokes us and whenever its request queue has room;
   * with `onlyPieces` (its allowed-fast set) while it chokes us.
   */
  pickBlocks(peer: number, peerHas: Bitfield, count: number, options?: PickOptions): Block[] {
    return pickBlocks(this.context, checkPeer(peer), this.checkField(peerHas), count, options)
  }

  /** Whether every wanted block is requested or done, so picks return duplicates. */
  isEndgame(): boolean {
    return inEndgame(this.order, this.downloads)
  }

  // ---- requests and blocks ---------------------------------------------------------------

  /**
   * A `piece` message arrived. `accepted: false` means we have the block already (an
   * endgame race or a late reply), or it names no block: drop the data. `cancel` lists the
   * other peers that still had the block requested: send them `cancel`. Their requests are
   * already forgotten here, so do not report them cancelled as well.
   */
  blockReceived(peer: number, block: BlockRef): BlockReceived {
    checkPeer(peer)
    const index = this.geometry.indexOf(block)
    if (index === -1 || !this.downloads.expects(block.piece, index)) return REFUSED
    if (this.downloads.state(block.piece) === PIECE_NONE) this.context.start(block.piece)
    return { accepted: true, cancel: this.downloads.receive(peer, block.piece, index) }
  }

  /** An accepted block is on disk. Returns true when its piece is complete: hash it now. */
  blockWritten(block: BlockRef): boolean {
    const index = this.geometry.indexOf(block)
    assert(index !== -1, `bad block ${block.piece}/${block.begin}`)
    return this.downloads.written(block.piece, index)
  }

  /** Storage lost an accepted block: it will be picked again. */
  blockWriteFailed(block: BlockRef): void {
    const index = this.geometry.indexOf(block)
    assert(index !== -1, `bad block ${block.piece}/${block.begin}`)
    this.downloads.writeFailed(block.piece, index)
  }

  /** We cancelled our request. Returns false if the peer had no such request. */
  blockRequestCancelled(peer: number, block: BlockRef): boolean {
    return this.release(peer, block)
  }

  /** Our request got no answer in time; the block may be picked from others again. */
  blockRequestTimedOut(peer: number, block: BlockRef): boolean {
    return this.release(peer, block)
  }

  /** BEP 6 `reject_request`. */
  blockRequestRejected(peer: number, block: BlockRef): boolean {
    return this.release(peer, block)
  }

  /** The peer is gone, or choked us without BEP 6: its requests return to missing. */
  peerGone(peer: number): number {
    return this.downloads.peerGone(checkPeer(peer))
  }

  // ---- pieces ----------------------------------------------------------------------------

  /** The complete piece hashed correctly; also for pieces found on disk at startup. */
  pieceVerified(piece: number): void {
    this.downloads.verified(this.checkPiece(piece))
    this.order.setUntouched(piece, false)
  }

  /**
   * The complete piece failed its hash: its blocks are missing again. Returns the peers that
   * delivered its blocks, ascending, so the core can blame them.
   */
  pieceFailed(piece: number): number[] {
    const contributors = this.downloads.failed(this.checkPiece(piece))
    this.order.setUntouched(piece, true)
    return contributors
  }

  /**
   * The complete piece failed its hash, and BEP 52 block hashes named the bad blocks
   * (`indices`, picker blocks of the piece): only they are picked again. Returns the peers that
   * delivered them, ascending: the ones to blame.
   */
  blocksFailed(piece: number, indices: readonly number[]): number[] {
    for (const index of indices) {
      const ok = Number.isInteger(index) && index >= 0 && index < this.geometry.blocksInPiece(piece)
      assert(ok, `bad block ${index} of piece ${piece}`)
    }
    return this.downloads.blocksFailed(this.checkPiece(piece), indices)
  }

  // ---- queries ---------------------------------------------------------------------------

  hasPiece(piece: number): boolean {
    return this.downloads.state(this.checkPiece(piece)) === PIECE_VERIFIED
  }

  get verifiedCount(): number {
    return this.downloads.have.count
  }

  /** Our pieces, as a copy to send in BITFIELD. */
  haveBitfield(): Bitfield {
    return this.downloads.have.copy()
  }

  pieceState(piece: number): PieceState {
    return this.downloads.state(this.checkPiece(piece))
  }

  /** Read access for invariant checkers and tests; never mutate through it. */
  inspect(): { readonly order: PieceOrder; readonly downloads: Downloads } {
    return { order: this.order, downloads: this.downloads }
  }

  private release(peer: number, block: BlockRef): boolean {
    checkPeer(peer)
    const index = this.geometry.indexOf(block)
    return index !== -1 && this.downloads.release(peer, block.piece, index)
  }

  private checkPiece(piece: number): number {
    const ok = Number.isInteger(piece) && piece >= 0 && piece < this.geometry.pieceCount
    assert(ok, `bad piece ${piece}`)
    return piece
  }

  private checkField(has: Bitfield): Bitfield {
    assert(has.length === this.geometry.pieceCount, `bitfield of ${has.length} pieces`)
    return has
  }
}

const REFUSED: BlockReceived = { accepted: false, cancel: [] }

function checkPeer(peer: number): number {
  assert(Number.isInteger(peer) && peer >= 0 && peer <= PEER_ID_MAX, `bad peer id ${peer}`)
  return peer
}

import { assert } from '../../../core/errors.js'
import { Bitfield } from './bitfield.js'
import type { Block, Geometry } from './geometry.js'
import { BLOCK_MISSING, BLOCK_RECEIVED, BLOCK_REQUESTED, PartialPiece } from './partial-piece.js'

/**
 * The ledger of what is in flight: piece states, the partial pieces with their block states,
 * the pieces that still have missing blocks ("open", picked first), and every peer's
 * outstanding requests. It records decisions; it makes none (`pick.ts` does).
 *
 * Memory is O(pieces) bytes for states plus O(blocks of partial pieces); the number of
 * partial pieces is bounded by the requests in flight, since picking finishes partial
 * pieces before it starts new ones. Every input is O(1) in the number of pieces, except
 * `peerGone`, which is O(that peer's outstanding requests).
 */
export const PIECE_NONE = 0
export const PIECE_PARTIAL = 1
/** Every block written; waiting for the core's hash check. */
export const PIECE_HASHING = 2
export const PIECE_VERIFIED = 3
export type PieceState =
  typeof PIECE_NONE | typeof PIECE_PARTIAL | typeof PIECE_HASHING | typeof PIECE_VERIFIED

export class Downloads {
  readonly have: Bitfield
  private readonly states: Uint8Array
  private readonly partials = new Map<number, PartialPiece>()
  /** Partial pieces with at least one missing block, in a dense array with positions. */
  private readonly open: number[] = []
  private readonly openPos: Int32Array
  private readonly outstanding = new Map<number, Set<number>>()

  constructor(
    readonly geometry: Geometry,
    /** Requests allowed per block at once (endgame duplicates included). */
    readonly slots: number,
  ) {
    this.have = new Bitfield(geometry.pieceCount)
    this.states = new Uint8Array(geometry.pieceCount)
    this.openPos = new Int32Array(geometry.pieceCount).fill(-1)
  }

  state(piece: number): PieceState {
    return this.states[piece] as PieceState
  }

  partial(piece: number): PartialPiece | undefined {
    return this.partials.get(piece)
  }

  partialPieces(): IterableIterator<PartialPiece> {
    return this.partials.values()
  }

  /** Pieces with block-level state: started and not yet verified. */
  get partialCount(): number {
    return this.partials.size
  }

  /** Partial pieces with missing blocks. The array is live: copy it before mutating. */
  openPieces(): readonly number[] {
    return this.open
  }

  /** The block keys (`Geometry.key`) this peer has outstanding. */
  outstandingOf(peer: number): ReadonlySet<number> {
    return this.outstanding.get(peer) ?? EMPTY
  }

  peersWithRequests(): IterableIterator<number> {
    return this.outstanding.keys()
  }

  /** An untouched piece gets its block-level state. */
  start(piece: number): PartialPiece {
    assert(this.states[piece] === PIECE_NONE, `piece ${piece} is not untouched`)
    const partial = new PartialPiece(piece, this.geometry.blocksInPiece(piece), this.slots)
    this.partials.set(piece, partial)
    this.states[piece] = PIECE_PARTIAL
    this.setOpen(piece, true)
    return partial
  }

  /** Marks `index` of `piece` requested by `peer` and appends it to `out`. */
  request(peer: number, partial: PartialPiece, index: number, out: Block[]): void {
    partial.addRequester(index, peer)
    let keys = this.outstanding.get(peer)
    if (keys === undefined) {
      keys = new Set()
      this.outstanding.set(peer, keys)
    }
    keys.add(this.geometry.key(partial.piece, index))
    if (partial.missing === 0) this.setOpen(partial.piece, false)
    out.push(this.geometry.block(partial.piece, index))
  }

  /** `peer` will not deliver the block (cancelled, rejected, timed out, choked, gone). */
  release(peer: number, piece: number, index: number): boolean {
    const partial = this.partials.get(piece)
    if (partial === undefined || !partial.removeRequester(index, peer)) return false
    this.forget(peer, this.geometry.key(piece, index))
    if (partial.missing > 0 && this.states[piece] === PIECE_PARTIAL) this.setOpen(piece, true)
    return true
  }

  /** Whether the block can still be accepted: its piece is in flight and it is not here. */
  expects(piece: number, index: number): boolean {
    if (this.states[piece] === PIECE_NONE) return true
    const state = this.partials.get(piece)?.state(index)
    return state === BLOCK_MISSING || state === BLOCK_REQUESTED
  }

  /** Records an expected block; returns the other peers to send `cancel` to. */
  receive(peer: number, piece: number, index: number): readonly number[] {
    const partial = this.partials.get(piece)
    assert(partial !== undefined, `piece ${piece} is not partial`)
    const requestedByPeer = partial.hasRequester(index, peer)
    const others = partial.receive(index, peer)
    const key = this.geometry.key(piece, index)
    if (requestedByPeer) this.forget(peer, key)
    for (const other of others) this.forget(other, key)
    if (partial.missing === 0) this.setOpen(piece, false)
    return others
  }

  /** Returns true when the whole piece is written and should be hash-checked now. */
  written(piece: number, index: number): boolean {
    const partial = this.partials.get(piece)
    assert(partial !== undefined, `piece ${piece} is not partial`)
    partial.write(index)
    if (partial.written < partial.blockCount) return false
    this.states[piece] = PIECE_HASHING
    return true
  }

  writeFailed(piece: number, index: number): void {
    const partial = this.partials.get(piece)
    assert(partial !== undefined && partial.state(index) === BLOCK_RECEIVED, 'not received')
    partial.writeFailed(index)
    this.setOpen(piece, true)
  }

  /** The hash matched (or resume data says we have it: then the piece may be untouched). */
  verified(piece: number): void {
    const state = this.states[piece]
    assert(state === PIECE_HASHING || state === PIECE_NONE, `piece ${piece} not checkable`)
    this.partials.delete(piece)
    this.states[piece] = PIECE_VERIFIED
    this.have.set(piece)
  }

  /** The hash did not match: every block is missing again. Returns who contributed. */
  failed(piece: number): number[] {
    assert(this.states[piece] === PIECE_HASHING, `piece ${piece} was not being checked`)
    const partial = this.partials.get(piece)
    assert(partial !== undefined, `piece ${piece} has no blocks`)
    this.partials.delete(piece)
    this.states[piece] = PIECE_NONE
    return partial.contributors()
  }

  /**
   * The hash did not match, and block hashes (BEP 52) named the bad blocks: only those are
   * missing again, and the piece is partial. Returns who delivered them, ascending.
   */
  blocksFailed(piece: number, indices: readonly number[]): number[] {
    assert(this.states[piece] === PIECE_HASHING, `piece ${piece} was not being checked`)
    assert(indices.length > 0, 'no bad block named')
    const partial = this.partials.get(piece)
    assert(partial !== undefined, `piece ${piece} has no blocks`)
    const senders = new Set<number>()
    for (const index of new Set(indices)) {
      const sender = partial.rewind(index)
      if (sender !== -1) senders.add(sender)
    }
    this.states[piece] = PIECE_PARTIAL
    this.setOpen(piece, true)
    return [...senders].sort((a, b) => a - b)
  }

  /** Releases every request of a peer that left (or choked us). Returns how many. */
  peerGone(peer: number): number {
    const keys = this.outstanding.get(peer)
    if (keys === undefined) return 0
    const released = keys.size
    for (const key of [...keys]) {
      this.release(peer, this.geometry.pieceOfKey(key), this.geometry.indexOfKey(key))
    }
    this.outstanding.delete(peer)
    return released
  }

  private forget(peer: number, key: number): void {
    const keys = this.outstanding.get(peer)
    if (keys === undefined) return
    keys.delete(key)
    if (keys.size === 0) this.outstanding.delete(peer)
  }

  private setOpen(piece: number, open: boolean): void {
    const at = this.openPos[piece] as number
    if (open === (at !== -1)) return
    if (open) {
      this.openPos[piece] = this.open.length
      this.open.push(piece)
      return
    }
    const last = this.open.pop() as number
    if (last !== piece) {
      this.open[at] = last
      this.openPos[last] = at
    }
    this.openPos[piece] = -1
  }
}

const EMPTY: ReadonlySet<number> = new Set()

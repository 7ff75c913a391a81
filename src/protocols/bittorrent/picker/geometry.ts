import { assert } from '../../../core/errors.js'

/**
 * How a torrent's bytes split into pieces and blocks. Pieces are `pieceLength` bytes except the
 * last; blocks are `blockLength` bytes (16 KiB, the size every client accepts) except the last
 * block of a piece. A block is named on the wire by (piece, begin, length), as in BEP 3
 * `request`, `piece` and `cancel`; internally it is (piece, block index) or a flat key.
 */
export const BLOCK_LENGTH_DEFAULT = 16_384

/** One block, in the terms of the wire's `request` message. */
export interface Block {
  readonly piece: number
  readonly begin: number
  readonly length: number
}

/** What inputs need to name a block: `Block` satisfies it. */
export interface BlockRef {
  readonly piece: number
  readonly begin: number
}

export class Geometry {
  readonly pieceCount: number
  /** Blocks in every piece but the last. */
  readonly blocksPerPiece: number
  readonly lastPieceLength: number

  constructor(
    readonly totalLength: number,
    readonly pieceLength: number,
    readonly blockLength: number = BLOCK_LENGTH_DEFAULT,
  ) {
    assert(Number.isSafeInteger(totalLength) && totalLength > 0, `bad length ${totalLength}`)
    assert(Number.isSafeInteger(pieceLength) && pieceLength > 0, `bad piece ${pieceLength}`)
    assert(Number.isSafeInteger(blockLength) && blockLength > 0, `bad block ${blockLength}`)
    this.pieceCount = Math.ceil(totalLength / pieceLength)
    this.blocksPerPiece = Math.ceil(pieceLength / blockLength)
    this.lastPieceLength = totalLength - (this.pieceCount - 1) * pieceLength
  }

  pieceBytes(piece: number): number {
    return piece === this.pieceCount - 1 ? this.lastPieceLength : this.pieceLength
  }

  blocksInPiece(piece: number): number {
    return piece === this.pieceCount - 1
      ? Math.ceil(this.lastPieceLength / this.blockLength)
      : this.blocksPerPiece
  }

  block(piece: number, index: number): Block {
    const begin = index * this.blockLength
    const length = Math.min(this.blockLength, this.pieceBytes(piece) - begin)
    return { piece, begin, length }
  }

  /**
   * The block index of a reference, or -1 when it does not name a block of this torrent
   * (a misaligned or out-of-range `piece` message from a peer is a remote fault, not a throw).
   */
  indexOf(ref: BlockRef): number {
    const { piece, begin } = ref
    if (!Number.isInteger(piece) || piece < 0 || piece >= this.pieceCount) return -1
    if (!Number.isInteger(begin) || begin < 0 || begin % this.blockLength !== 0) return -1
    const index = begin / this.blockLength
    return index < this.blocksInPiece(piece) ? index : -1
  }

  /** A flat number for (piece, index), unique across the torrent. */
  key(piece: number, index: number): number {
    return piece * this.blocksPerPiece + index
  }

  pieceOfKey(key: number): number {
    return Math.floor(key / this.blocksPerPiece)
  }

  indexOfKey(key: number): number {
    return key % this.blocksPerPiece
  }
}

/**
 * The received blocks of in-progress pieces, kept in memory so that a piece is hashed from
 * them when its last block arrives instead of being read back from disk. Blocks are kept as
 * the views the wire delivered (no copy; the frame reader never reuses its chunks), within a
 * named budget of block bytes. A piece that would overflow the budget is "spilled": its blocks
 * are let go at once and it is verified from disk instead. The budget counts view lengths; a
 * view may keep its whole receive chunk alive, which the wire's chunk bound limits.
 *
 * Each piece also remembers which block offsets arrived, spilled or not, so that a duplicate
 * (endgame, or a peer sending twice) is recognised and never written: two overlapping writes
 * in flight land in no guaranteed order, and the disk could end up holding the copy we did not
 * hash.
 */
import { assert } from '../../../core/errors.js'

interface PartialPiece {
  /** Block views by `begin`; undefined values once the piece is spilled. */
  readonly blocks: Map<number, Uint8Array | undefined>
  spilled: boolean
  bytesHeld: number
}

export class PieceBuffers {
  private readonly pieces = new Map<number, PartialPiece>()
  private held = 0
  private spills = 0

  constructor(private readonly bytesMax: number) {
    assert(Number.isSafeInteger(bytesMax) && bytesMax >= 0, `bad budget ${bytesMax}`)
  }

  /** Block bytes held now, across all pieces (at most the budget). */
  get bytesHeld(): number {
    return this.held
  }

  /** Pieces spilled so far, for metrics: how often the budget forced a read-back. */
  get spilledCount(): number {
    return this.spills
  }

  /** Whether a block at `begin` of piece `index` was recorded already. */
  has(index: number, begin: number): boolean {
    return this.pieces.get(index)?.blocks.has(begin) ?? false
  }

  /** Records a block (not yet recorded: check `has` first) and keeps it if the budget allows. */
  add(index: number, begin: number, bytes: Uint8Array): void {
    let piece = this.pieces.get(index)
    if (piece === undefined) {
      piece = { blocks: new Map(), spilled: false, bytesHeld: 0 }
      this.pieces.set(index, piece)
    }
    assert(!piece.blocks.has(begin), `block ${begin} of piece ${index} recorded twice`)
    if (!piece.spilled && this.held + bytes.length > this.bytesMax) this.spill(piece)
    if (piece.spilled) return void piece.blocks.set(begin, undefined)
    piece.blocks.set(begin, bytes)
    piece.bytesHeld += bytes.length
    this.held += bytes.length
  }

  /**
   * The kept blocks of piece `index` in order, if they cover `[0, length)` exactly with no gap
   * or overlap; undefined otherwise (spilled, incomplete, or oddly split: read it from disk).
   */
  assembled(index: number, length: number): Uint8Array[] | undefined {
    const piece = this.pieces.get(index)
    if (piece === undefined || piece.spilled) return undefined
    const begins = [...piece.blocks.keys()].sort((a, b) => a - b)
    const parts: Uint8Array[] = []
    let at = 0
    for (const begin of begins) {
      const block = piece.blocks.get(begin) as Uint8Array
      if (begin !== at) return undefined
      parts.push(block)
      at += block.length
    }
    return at === length ? parts : undefined
  }

  /** Forgets piece `index`: verified, failed, or abandoned by the picker. */
  release(index: number): void {
    const piece = this.pieces.get(index)
    if (piece === undefined) return
    this.held -= piece.bytesHeld
    this.pieces.delete(index)
  }

  private spill(piece: PartialPiece): void {
    for (const begin of piece.blocks.keys()) piece.blocks.set(begin, undefined)
    this.held -= piece.bytesHeld
    piece.bytesHeld = 0
    piece.spilled = true
    this.spills++
  }
}

/**
 * Assembly of one info dictionary from ut_metadata pieces (BEP 9). It owns the only buffer the
 * fetcher keeps, exactly `metadata_size` bytes, and records per piece who has it requested and
 * who delivered it, so that a hash failure can blame exactly the contributors. Picking is
 * lowest-index-first among pieces neither received nor requested: with a per-peer cap on
 * requests this spreads consecutive pieces over the peers without any randomness.
 */
import { assert } from '../../../core/errors.js'
import {
  METADATA_BYTES_MAX,
  METADATA_PIECE_BYTES,
  metadataPieceBytes,
  metadataPieceCount,
} from '../wire/index.js'

export class MetadataAssembly<Contributor> {
  readonly pieceCount: number
  private readonly buffer: Uint8Array
  private readonly requestedBy: (Contributor | undefined)[]
  private readonly deliveredBy: (Contributor | undefined)[]
  private received = 0

  constructor(readonly totalSize: number) {
    assert(
      Number.isSafeInteger(totalSize) && totalSize > 0 && totalSize <= METADATA_BYTES_MAX,
      `metadata size ${totalSize} out of range`,
    )
    this.pieceCount = metadataPieceCount(totalSize)
    this.buffer = new Uint8Array(totalSize)
    this.requestedBy = new Array<Contributor | undefined>(this.pieceCount).fill(undefined)
    this.deliveredBy = new Array<Contributor | undefined>(this.pieceCount).fill(undefined)
  }

  get receivedCount(): number {
    return this.received
  }

  get complete(): boolean {
    return this.received === this.pieceCount
  }

  /** The lowest piece nobody has requested or delivered and `skip` does not exclude. */
  pick(skip: (piece: number) => boolean): number | undefined {
    for (let piece = 0; piece < this.pieceCount; piece++) {
      if (this.isOpen(piece) && !skip(piece)) return piece
    }
    return undefined
  }

  /** Whether any piece still missing is one `skip` does not exclude (requested or not). */
  hasMissing(skip: (piece: number) => boolean): boolean {
    for (let piece = 0; piece < this.pieceCount; piece++) {
      if (this.deliveredBy[piece] === undefined && !skip(piece)) return true
    }
    return false
  }

  request(piece: number, by: Contributor): void {
    assert(this.isOpen(piece), `metadata piece ${piece} is not open`)
    this.requestedBy[piece] = by
  }

  /** The request for `piece` ended without data (reject, timeout, peer gone). */
  release(piece: number, by: Contributor): void {
    if (this.requestedBy[piece] === by) this.requestedBy[piece] = undefined
  }

  /** Stores a piece the codec already checked for length; returns false when not expected. */
  store(piece: number, data: Uint8Array, by: Contributor): boolean {
    if (this.requestedBy[piece] !== by || this.deliveredBy[piece] !== undefined) return false
    assert(data.length === metadataPieceBytes(this.totalSize, piece), 'piece length unchecked')
    this.buffer.set(data, piece * METADATA_PIECE_BYTES)
    this.requestedBy[piece] = undefined
    this.deliveredBy[piece] = by
    this.received++
    return true
  }

  /** Everyone who delivered a piece, once each. */
  contributors(): Contributor[] {
    const seen = new Set<Contributor>()
    for (const by of this.deliveredBy) if (by !== undefined) seen.add(by)
    return [...seen]
  }

  /** The assembled bytes (a view: copy before handing them out). Only when complete. */
  bytes(): Uint8Array {
    assert(this.complete, 'metadata is not complete')
    return this.buffer
  }

  private isOpen(piece: number): boolean {
    return this.requestedBy[piece] === undefined && this.deliveredBy[piece] === undefined
  }
}

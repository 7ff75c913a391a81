/**
 * Piece verification: once every block of a piece is written, hash the piece and compare the
 * digest with the metainfo's (BEP 3, or BEP 52 for v2-only torrents: `checkPiece`). The bytes come from the blocks kept in memory as they
 * arrived (`PieceBuffers`) when they cover the piece, and from a read-back otherwise (spilled
 * over the memory budget, or blocks split oddly). The hash runs behind `PieceHashing`, off the
 * calling thread in the Node driver.
 *
 * Either way the verifier releases the piece's memory when the verdict is in: a verified piece's
 * bytes go to `onVerifiedBytes` (the upload cache, which bounds what it keeps), and a failed one is downloaded again from scratch (the caller resets
 * it in the picker and blames the peers that sent its blocks).
 */
import type { Callback } from '../../../core/env.js'
import { assert } from '../../../core/errors.js'
import { err, ok } from '../../../core/result.js'
import { pieceLengthAt, type Metainfo } from '../metainfo/index.js'
import { checkPiece } from './piece-check.js'
import { PieceBuffers } from './piece-buffers.js'
import type { PieceHashing } from './piece-hashing.js'
import type { PieceReader } from './piece-store.js'

export type VerifyOutcome = 'verified' | 'failed'

export interface PieceVerifierOptions {
  readonly metainfo: Metainfo
  /** Where pieces are read back from when their blocks are not all in memory. */
  readonly reader: PieceReader
  readonly hashing: PieceHashing
  /** Bound on block bytes kept in memory (`StorageLimits.pieceBufferBytesMax`). */
  readonly bufferBytesMax: number
  /**
   * Called with the bytes of a piece whose hash matched (before `verify`'s callback), in
   * payload order: exactly what was hashed, for the upload cache.
   */
  readonly onVerifiedBytes?: (index: number, parts: readonly Uint8Array[]) => void
}

export interface VerifierStats {
  readonly hashedFromMemory: number
  readonly hashedFromDisk: number
  readonly failed: number
  readonly bytesHeld: number
  readonly spilledPieces: number
}

export class PieceVerifier {
  private readonly m: Metainfo
  private readonly reader: PieceReader
  private readonly hashing: PieceHashing
  private readonly buffers: PieceBuffers
  private readonly verifying = new Set<number>()
  private readonly onVerifiedBytes: PieceVerifierOptions['onVerifiedBytes']
  private fromMemory = 0
  private fromDisk = 0
  private failures = 0

  constructor(options: PieceVerifierOptions) {
    this.m = options.metainfo
    this.reader = options.reader
    this.hashing = options.hashing
    this.buffers = new PieceBuffers(options.bufferBytesMax)
    this.onVerifiedBytes = options.onVerifiedBytes
  }

  /**
   * Whether a block at `begin` of piece `index` was noted already: do not write it again (see
   * `PieceBuffers` on why a duplicate must not reach the disk).
   */
  hasBlock(index: number, begin: number): boolean {
    return this.buffers.has(index, begin)
  }

  /**
   * Call for each block accepted for writing (not `hasBlock`). Never modify its bytes
   * afterwards: a verified piece's blocks go to `onVerifiedBytes`.
   */
  noteBlock(index: number, begin: number, bytes: Uint8Array): void {
    this.buffers.add(index, begin, bytes)
  }

  /** Drops what is known of piece `index` (the picker abandoned it or will re-request it). */
  forget(index: number): void {
    assert(!this.verifying.has(index), `piece ${index} forgotten while it is being verified`)
    this.buffers.release(index)
  }

  /**
   * Verifies piece `index`. Call once all of its block writes have completed, and at most once
   * at a time per piece. A read or hashing error comes back as an error (the piece is then in
   * an unknown state: treat it as failed, and look at the store's `error`).
   */
  verify(index: number, done: Callback<VerifyOutcome>): void {
    assert(!this.verifying.has(index), `piece ${index} is already being verified`)
    this.verifying.add(index)
    const finish: Callback<VerifyOutcome> = (result) => {
      this.verifying.delete(index)
      this.buffers.release(index)
      if (result.ok && result.value === 'failed') this.failures++
      done(result)
    }
    const inMemory = this.buffers.assembled(index, pieceLengthAt(this.m, index))
    if (inMemory !== undefined) {
      this.fromMemory++
      return this.compare(index, inMemory, finish)
    }
    this.fromDisk++
    this.reader.readPiece(index, (read) => {
      if (!read.ok) return finish(read)
      this.compare(index, read.value, finish)
    })
  }

  stats(): VerifierStats {
    return {
      hashedFromMemory: this.fromMemory,
      hashedFromDisk: this.fromDisk,
      failed: this.failures,
      bytesHeld: this.buffers.bytesHeld,
      spilledPieces: this.buffers.spilledCount,
    }
  }

  private compare(
    index: number,
    parts: readonly Uint8Array[],
    done: Callback<VerifyOutcome>,
  ): void {
    checkPiece(this.m, this.hashing, index, parts, (matched) => {
      if (!matched.ok) return done(err(matched.error))
      if (matched.value) this.onVerifiedBytes?.(index, parts)
      done(ok(matched.value ? 'verified' : 'failed'))
    })
  }
}

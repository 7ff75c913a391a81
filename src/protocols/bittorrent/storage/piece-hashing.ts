/**
 * The seam between verification and the hash functions. Hashing a 1 GB/s download costs most
 * of a core, so the Node driver hashes in worker threads
 * (`drivers/bittorrent-storage/worker-hashing.ts`); the simulator hashes inline through the
 * `Hashing` port, which may be a cheap stand-in for synthetic content. Both answer through a
 * callback, like every port, so the verifier is the same code in both worlds.
 */
import { concatBytes } from '../../../core/bytes.js'
import type { Callback, Hashing } from '../../../core/env.js'
import { ok } from '../../../core/result.js'
import { pieceHashV2 } from '../merkle/index.js'
import type { Defer } from './callbacks.js'

/** What a BEP 52 piece hash depends on besides the bytes: the geometry of its file's tree. */
export interface V2PieceShape {
  readonly pieceLength: number
  /** The file's length: a file of at most one piece is hashed up to its pieces root. */
  readonly fileLength: number
}

export interface PieceHashing {
  /**
   * The SHA-1 of `parts` concatenated (piece `index`, for logs and scheduling). Never calls
   * `done` before returning. The caller leaves the parts unmodified until `done`.
   */
  hashPiece(index: number, parts: readonly Uint8Array[], done: Callback<Uint8Array>): void
  /**
   * The BEP 52 hash of a v2 piece (`pieceHashV2`): `parts` are the file's bytes in the piece,
   * without the padding after the file. Same contract as `hashPiece`.
   */
  hashPieceV2(
    index: number,
    parts: readonly Uint8Array[],
    shape: V2PieceShape,
    done: Callback<Uint8Array>,
  ): void
}

/** Hashes on the calling thread through the `Hashing` port, answering via `defer`. */
export function inlinePieceHashing(hashing: Hashing, defer: Defer): PieceHashing {
  return {
    hashPiece(_index, parts, done) {
      const digest = hashing.sha1(parts)
      defer(() => done(ok(digest)))
    },
    hashPieceV2(_index, parts, shape, done) {
      const digest = pieceHashV2(concat(parts), shape.pieceLength, shape.fileLength, hashing)
      defer(() => done(ok(digest)))
    },
  }
}

/** `parts` as one buffer (no copy for a single part). */
const concat = (parts: readonly Uint8Array[]): Uint8Array =>
  parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(parts)

/**
 * The seam between verification and SHA-1. Hashing a 1 GB/s download costs most of a core, so
 * the Node driver hashes in worker threads (`drivers/bittorrent-storage/worker-hashing.ts`);
 * the simulator hashes inline through the `Hashing` port, which may be a cheap stand-in for
 * synthetic content. Both answer through a callback, like every port, so the verifier is the
 * same code in both worlds.
 */
import type { Callback, Hashing } from '../../../core/env.js'
import { ok } from '../../../core/result.js'
import type { Defer } from './callbacks.js'

export interface PieceHashing {
  /**
   * The SHA-1 of `parts` concatenated (piece `index`, for logs and scheduling). Never calls
   * `done` before returning. The caller leaves the parts unmodified until `done`.
   */
  hashPiece(index: number, parts: readonly Uint8Array[], done: Callback<Uint8Array>): void
}

/** Hashes on the calling thread through the `Hashing` port, answering via `defer`. */
export function inlinePieceHashing(hashing: Hashing, defer: Defer): PieceHashing {
  return {
    hashPiece(_index, parts, done) {
      const digest = hashing.sha1(parts)
      defer(() => done(ok(digest)))
    },
  }
}

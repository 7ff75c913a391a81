/**
 * Whether a piece's bytes are the piece the torrent describes: the one comparison the
 * verifier, the recheck and the upload check share. v1 and hybrid torrents compare the SHA-1
 * of the whole piece (padding included) with `pieces`; a hybrid's v2 hashes describe the
 * same bytes, so one check suffices. A v2-only torrent has no SHA-1s: the file's bytes in the
 * piece (the padding after the file's end aside, which is never written) hash up a merkle
 * tree to the file's piece-layer entry, or to its `pieces root` for a file of one piece
 * (BEP 52).
 */
import { equalBytes } from '../../../core/bytes.js'
import type { Callback } from '../../../core/env.js'
import { err, ok } from '../../../core/result.js'
import { pieceHash, v2PieceOf, type Metainfo } from '../metainfo/index.js'
import type { PieceHashing } from './piece-hashing.js'

/**
 * Hashes piece `index` (`parts`, the whole piece in order) and answers whether it matches. A
 * v2 piece whose expected hash is unknown (its file's piece layer has not arrived) never
 * matches: callers must not fetch such pieces (`v2PieceKnown`).
 */
export function checkPiece(
  m: Metainfo,
  hashing: PieceHashing,
  index: number,
  parts: readonly Uint8Array[],
  done: Callback<boolean>,
): void {
  if (m.version !== 'v2') {
    return hashing.hashPiece(index, parts, (hashed) => {
      if (!hashed.ok) return done(err(hashed.error))
      done(ok(equalBytes(hashed.value, pieceHash(m, index))))
    })
  }
  const piece = v2PieceOf(m, index)
  const expected = piece?.expected
  // No hash to compare with (a v2-only layout has no all-padding piece, so the file's piece
  // layer is missing): a mismatch, answered through the port so that `done` stays deferred.
  if (piece === undefined || expected === undefined) {
    return hashing.hashPiece(index, [], () => done(ok(false)))
  }
  const shape = { pieceLength: m.pieceLength, fileLength: piece.fileLength }
  hashing.hashPieceV2(index, leading(parts, piece.dataLength), shape, (hashed) => {
    if (!hashed.ok) return done(err(hashed.error))
    done(ok(equalBytes(hashed.value, expected)))
  })
}

/** Whether piece `index` can be verified now (always, but for v2 pieces lacking their layer). */
export const pieceCheckable = (m: Metainfo, index: number): boolean =>
  m.version !== 'v2' || v2PieceOf(m, index)?.expected !== undefined

/** The first `length` bytes of `parts` concatenated, as views. */
export function leading(parts: readonly Uint8Array[], length: number): Uint8Array[] {
  const out: Uint8Array[] = []
  let left = length
  for (const part of parts) {
    if (left === 0) break
    const take = Math.min(left, part.length)
    out.push(take === part.length ? part : part.subarray(0, take))
    left -= take
  }
  return out
}

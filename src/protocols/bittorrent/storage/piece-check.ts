/**
 * Whether a piece's bytes are the piece the torrent describes: the one comparison the
 * verifier, the recheck and the upload check share.
 *
 * - v1: the SHA-1 of the whole piece (padding included) against `pieces`.
 * - v2-only: the file's bytes in the piece (the padding after the file's end aside, which is
 *   never written) hash up a merkle tree to the file's piece-layer entry, or to its `pieces
 *   root` for a file of one piece (BEP 52).
 * - hybrid: both, as libtorrent checks them. The two hash sets of a hybrid describe the same
 *   bytes only if its creator made them so: a torrent whose SHA-1s and merkle trees disagree
 *   on a piece would let a v1 peer and a v2 peer each accept different content under one
 *   info dictionary (the known attack on hybrids). Such a piece fails here, and its senders
 *   are blamed like for any hash failure. When the piece's v2 hash is unknown (its file's
 *   layer never arrived: a hybrid from a magnet), the SHA-1 alone decides.
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
  if (m.version === 'v1') return checkSha1(m, hashing, index, parts, done)
  if (m.version === 'v2') return checkV2(m, hashing, index, parts, done)
  checkSha1(m, hashing, index, parts, (v1) => {
    if (!v1.ok || !v1.value) return done(v1)
    // A piece of padding only (none in a well-formed hybrid) or whose layer is unknown.
    if (v2PieceOf(m, index)?.expected === undefined) return done(v1)
    checkV2(m, hashing, index, parts, done)
  })
}

/**
 * Whether a piece verified before (by `checkPiece`) still holds the same bytes: the upload
 * check of a seed, which guards against a file edited while we run. One hash answers that as
 * well as two, so a hybrid is checked by its SHA-1 alone (half the hashing of every piece a
 * seed serves); the v1/v2 agreement that `checkPiece` enforces was settled when the bytes were
 * first verified. A v2-only piece is checked by its merkle hash, as in `checkPiece`.
 */
export function recheckVerifiedPiece(
  m: Metainfo,
  hashing: PieceHashing,
  index: number,
  parts: readonly Uint8Array[],
  done: Callback<boolean>,
): void {
  if (m.version === 'v2') return checkV2(m, hashing, index, parts, done)
  checkSha1(m, hashing, index, parts, done)
}

function checkSha1(
  m: Metainfo,
  hashing: PieceHashing,
  index: number,
  parts: readonly Uint8Array[],
  done: Callback<boolean>,
): void {
  hashing.hashPiece(index, parts, (hashed) => {
    if (!hashed.ok) return done(err(hashed.error))
    done(ok(equalBytes(hashed.value, pieceHash(m, index))))
  })
}

function checkV2(
  m: Metainfo,
  hashing: PieceHashing,
  index: number,
  parts: readonly Uint8Array[],
  done: Callback<boolean>,
): void {
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

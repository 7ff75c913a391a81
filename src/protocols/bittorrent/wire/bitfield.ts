/**
 * Bitfield checks (BEP 3): one bit per piece, high bit of the first byte is piece 0, and the
 * spare bits at the end must be zero. The frame carries no piece count, so the swarm core
 * calls this once it knows the torrent's.
 */
import { err, ok, type Result } from '../../../core/result.js'
import { wireError, type WireError } from './errors.js'

export const bitfieldBytes = (pieceCount: number): number => Math.ceil(pieceCount / 8)

/** `bytes` itself when it is a valid bitfield for `pieceCount` pieces. */
export function validateBitfield(
  bytes: Uint8Array,
  pieceCount: number,
): Result<Uint8Array, WireError> {
  const expected = bitfieldBytes(pieceCount)
  if (bytes.length !== expected) {
    return err(wireError('bad_bitfield', `${bytes.length} bytes for ${pieceCount} pieces`))
  }
  const spareBits = expected * 8 - pieceCount
  const spareMask = (1 << spareBits) - 1
  if (spareBits > 0 && ((bytes[expected - 1] as number) & spareMask) !== 0) {
    return err(wireError('bad_bitfield', 'spare bits after the last piece are set'))
  }
  return ok(bytes)
}

/** Whether the bitfield has piece `index` (false beyond its end). */
export const bitfieldHas = (bytes: Uint8Array, index: number): boolean =>
  (((bytes[index >>> 3] ?? 0) >>> (7 - (index & 7))) & 1) === 1

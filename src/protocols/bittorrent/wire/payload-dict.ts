/**
 * The bencoded dictionary at the start of a BEP 10 payload. ut_metadata `data` messages put raw
 * bytes after it, so the caller says whether trailing bytes are allowed and gets their offset.
 */
import { decodePrefix, isBDict, type BDict } from '../../../core/codec/bencode.js'
import { err, ok, type Result } from '../../../core/result.js'
import { wireError, type WireError } from './errors.js'

export interface PayloadDict {
  readonly dict: BDict
  /** Offset just past the dictionary: where trailing data starts. */
  readonly end: number
}

export function decodePayloadDict(
  payload: Uint8Array,
  what: string,
  allowTrailing: boolean,
): Result<PayloadDict, WireError> {
  const decoded = decodePrefix(payload)
  if (!decoded.ok) {
    const { code, offset } = decoded.error
    return err(wireError('bad_bencode', `${what}: ${code} at byte ${offset}`))
  }
  const { value, end } = decoded.value
  if (!isBDict(value)) return err(wireError('bad_extended_message', `${what}: not a dictionary`))
  if (!allowTrailing && end !== payload.length) {
    return err(wireError('bad_extended_message', `${what}: bytes after the dictionary`))
  }
  return ok({ dict: value, end })
}

/** A non-negative safe integer no larger than `max`. */
export const isUintAtMost = (value: number | undefined, max: number): value is number =>
  value !== undefined && Number.isSafeInteger(value) && value >= 0 && value <= max

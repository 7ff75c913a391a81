/**
 * ut_metadata (BEP 9): fetching the info dictionary from peers, in 16 KiB pieces. Each message
 * is a bencoded dictionary (`msg_type` 0 request, 1 data, 2 reject; `piece`); a data message
 * adds `total_size` and is followed by the piece's bytes. Every piece but the last is exactly
 * 16 KiB, so the data length is checked against `total_size` here.
 */
import { concatBytes } from '../../../core/bytes.js'
import { dictGetInt, dictOf, encode } from '../../../core/codec/bencode.js'
import { assert } from '../../../core/errors.js'
import { err, ok, type Result } from '../../../core/result.js'
import { wireError, type WireError } from './errors.js'
import type { MetadataMessage } from './extension-messages.js'
import { METADATA_BYTES_MAX, METADATA_PIECE_BYTES } from './limits.js'
import { decodePayloadDict, isUintAtMost } from './payload-dict.js'

/** Pieces of the largest info dictionary we accept (1024). */
export const METADATA_PIECES_MAX = Math.ceil(METADATA_BYTES_MAX / METADATA_PIECE_BYTES)

const MSG_TYPE = { request: 0, data: 1, reject: 2 } as const

export const metadataPieceCount = (totalSize: number): number =>
  Math.ceil(totalSize / METADATA_PIECE_BYTES)

/** Bytes of piece `piece` of an info dictionary of `totalSize` bytes. */
export const metadataPieceBytes = (totalSize: number, piece: number): number =>
  Math.min(METADATA_PIECE_BYTES, totalSize - piece * METADATA_PIECE_BYTES)

export function encodeMetadataMessage(message: MetadataMessage): Uint8Array {
  if (message.msgType === 'unknown') return encode(dictOf({ msg_type: message.id }))
  if (message.msgType !== 'data') {
    return encode(dictOf({ msg_type: MSG_TYPE[message.msgType], piece: message.piece }))
  }
  const { piece, totalSize, data } = message
  assert(
    isUintAtMost(totalSize, METADATA_BYTES_MAX) &&
      piece < metadataPieceCount(totalSize) &&
      data.length === metadataPieceBytes(totalSize, piece),
    `metadata piece ${piece} of ${data.length} bytes does not fit total_size ${totalSize}`,
  )
  const head = encode(dictOf({ msg_type: MSG_TYPE.data, piece, total_size: totalSize }))
  return concatBytes([head, data])
}

/**
 * Decodes a ut_metadata payload. With `metadataSize` (the peer's `metadata_size` from its
 * extended handshake), a data message must agree with it. `data` is a view into `payload`.
 */
export function decodeMetadataMessage(
  payload: Uint8Array,
  metadataSize?: number,
): Result<MetadataMessage, WireError> {
  const decoded = decodePayloadDict(payload, 'ut_metadata', true)
  if (!decoded.ok) return decoded
  const { dict, end } = decoded.value
  const msgType = dictGetInt(dict, 'msg_type')
  if (msgType === undefined) return malformed('no integer msg_type')
  if (msgType !== MSG_TYPE.request && msgType !== MSG_TYPE.data && msgType !== MSG_TYPE.reject) {
    return ok({ msgType: 'unknown', id: msgType })
  }
  const trailing = payload.subarray(end)
  if (msgType !== MSG_TYPE.data && trailing.length > 0) return malformed('bytes after the dict')
  const piece = dictGetInt(dict, 'piece')
  if (!isUintAtMost(piece, METADATA_PIECES_MAX - 1)) return malformed(`bad piece ${piece}`)
  if (msgType === MSG_TYPE.request) return ok({ msgType: 'request', piece })
  if (msgType === MSG_TYPE.reject) return ok({ msgType: 'reject', piece })
  return decodeData(piece, dictGetInt(dict, 'total_size'), trailing, metadataSize)
}

function decodeData(
  piece: number,
  totalSize: number | undefined,
  data: Uint8Array,
  metadataSize: number | undefined,
): Result<MetadataMessage, WireError> {
  if (totalSize === undefined || totalSize < 1 || totalSize > METADATA_BYTES_MAX) {
    return mismatch(`total_size ${totalSize} not in 1..${METADATA_BYTES_MAX}`)
  }
  if (metadataSize !== undefined && totalSize !== metadataSize) {
    return mismatch(`total_size ${totalSize}, but metadata_size was ${metadataSize}`)
  }
  if (piece >= metadataPieceCount(totalSize)) {
    return mismatch(`piece ${piece} beyond total_size ${totalSize}`)
  }
  const expected = metadataPieceBytes(totalSize, piece)
  if (data.length !== expected) {
    return mismatch(`piece ${piece} has ${data.length} bytes, expected ${expected}`)
  }
  return ok({ msgType: 'data', piece, totalSize, data })
}

const malformed = (detail: string): Result<never, WireError> =>
  err(wireError('bad_extended_message', `ut_metadata: ${detail}`))

const mismatch = (detail: string): Result<never, WireError> =>
  err(wireError('metadata_size_mismatch', `ut_metadata: ${detail}`))

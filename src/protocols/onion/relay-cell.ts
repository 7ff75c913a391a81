/**
 * The relay-cell payload of tor-spec §6.1: command (1), recognized (2), stream id (2),
 * digest (4), length (2), data (up to 498), padding. `recognized` and `digest` are filled by
 * the per-hop crypto (relay-crypto.ts); the codec only places them.
 */
import { readUint16BE, writeUint16BE } from '../../core/bytes.js'
import type { RemoteFault } from '../../core/errors.js'
import { err, ok, type Result } from '../../core/result.js'
import { CELL_PAYLOAD_BYTES, malformed } from './cell.js'

export const RelayCommand = {
  BEGIN: 1,
  DATA: 2,
  END: 3,
  CONNECTED: 4,
  SENDME: 5,
  EXTEND: 6,
  EXTENDED: 7,
  TRUNCATE: 8,
  TRUNCATED: 9,
  DROP: 10,
  RESOLVE: 11,
  RESOLVED: 12,
  BEGIN_DIR: 13,
  EXTEND2: 14,
  EXTENDED2: 15,
} as const

export const RELAY_HEADER_BYTES = 11
export const RELAY_DATA_BYTES_MAX = CELL_PAYLOAD_BYTES - RELAY_HEADER_BYTES
/** Offset and width of the digest field, zeroed while the running digest is computed. */
export const RELAY_DIGEST_OFFSET = 5
export const RELAY_DIGEST_BYTES = 4

export interface RelayCell {
  readonly command: number
  readonly streamId: number
  readonly data: Uint8Array
}

export interface DecodedRelayCell extends RelayCell {
  readonly recognized: number
  readonly digest: Uint8Array
}

/**
 * A 509-byte relay payload with `recognized` and `digest` zero. tor-spec asks for four zero
 * bytes after the data and random padding after them, so the padding bytes are an input.
 */
export function encodeRelayCell(cell: RelayCell, padding?: Uint8Array): Uint8Array {
  if (cell.data.length > RELAY_DATA_BYTES_MAX)
    throw new RangeError(`relay data of ${cell.data.length} bytes`)
  const out = new Uint8Array(CELL_PAYLOAD_BYTES)
  out[0] = cell.command
  writeUint16BE(out, 3, cell.streamId)
  writeUint16BE(out, 9, cell.data.length)
  out.set(cell.data, RELAY_HEADER_BYTES)
  const paddingStart = RELAY_HEADER_BYTES + cell.data.length + 4
  if (padding !== undefined && paddingStart < CELL_PAYLOAD_BYTES)
    out.set(padding.subarray(0, CELL_PAYLOAD_BYTES - paddingStart), paddingStart)
  return out
}

/**
 * How many random padding bytes a relay cell with `dataBytes` of data takes (after the four
 * zero bytes): none for a full DATA cell, so a bulk transfer draws no randomness per cell.
 */
export const relayPaddingBytes = (dataBytes: number): number =>
  Math.max(0, CELL_PAYLOAD_BYTES - RELAY_HEADER_BYTES - dataBytes - 4)

/** `data` is a view into `payload`: the caller hands over a payload it owns. */
export function decodeRelayCell(payload: Uint8Array): Result<DecodedRelayCell, RemoteFault> {
  if (payload.length !== CELL_PAYLOAD_BYTES) return err(malformed('relay payload not 509 bytes'))
  const length = readUint16BE(payload, 9)
  if (length > RELAY_DATA_BYTES_MAX) return err(malformed(`relay length ${length}`))
  return ok({
    command: payload[0] ?? 0,
    recognized: readUint16BE(payload, 1),
    streamId: readUint16BE(payload, 3),
    digest: payload.slice(RELAY_DIGEST_OFFSET, RELAY_DIGEST_OFFSET + RELAY_DIGEST_BYTES),
    data: payload.subarray(RELAY_HEADER_BYTES, RELAY_HEADER_BYTES + length),
  })
}

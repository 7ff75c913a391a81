import type { Result } from '../../core/result.js'
import { err, ok } from '../../core/result.js'

/**
 * The uTP packet header (BEP 29, version 1) and its extension chain. Every packet starts with
 * 20 bytes, all big-endian:
 *
 *     0       4       8               16              24              32
 *     +-------+-------+---------------+---------------+---------------+
 *     | type  | ver   | extension     | connection_id                 |
 *     | timestamp_microseconds                                        |
 *     | timestamp_difference_microseconds                             |
 *     | wnd_size                                                      |
 *     | seq_nr                        | ack_nr                        |
 *
 * followed by extensions (each `next type, length, bytes`; the first type is in the header)
 * and the payload. Extension 1 is the selective ack; unknown extensions are skipped, as
 * libtorrent and libutp do.
 */

export const UTP_VERSION = 1
export const HEADER_BYTES = 20

export const PacketType = {
  /** Payload bytes; consumes a sequence number. */
  data: 0,
  /** Closes the sending half; consumes a sequence number. */
  fin: 1,
  /** A bare ack (no payload, no sequence number). */
  state: 2,
  /** Abortive close. */
  reset: 3,
  /** Opens a connection; consumes a sequence number. */
  syn: 4,
} as const
export type PacketType = (typeof PacketType)[keyof typeof PacketType]

export const EXTENSION_SELECTIVE_ACK = 1
/**
 * Padding that makes a path MTU probe its size: bytes the receiver skips. Not assigned by
 * BEP 29 nor used by libtorrent (1 selective ack, 3 close reason) or libutp (2 extension
 * bits); both skip extensions they do not know, as we do.
 */
export const EXTENSION_PADDING = 0x7e
/** One extension's header (next type, length) and the most bytes it may carry. */
const EXTENSION_HEADER_BYTES = 2
const EXTENSION_BYTES_MAX = 255

export interface UtpPacket {
  readonly type: PacketType
  readonly connectionId: number
  /** The sender's clock when it sent the packet, microseconds modulo 2^32. */
  readonly timestampMicros: number
  /** The sender's last measured one-way delay from us to it, microseconds modulo 2^32. */
  readonly timestampDiffMicros: number
  /** Bytes the sender can still receive beyond what it has acked. */
  readonly windowBytes: number
  readonly seq: number
  /** The last sequence number received in order. */
  readonly ack: number
  /**
   * Selective ack bitmask: bit i (byte i>>3, bit i&7 from the least significant) says that
   * `ack + 2 + i` arrived. We send a multiple of 4 bytes; we accept any positive length.
   */
  readonly selectiveAck?: Uint8Array
  readonly payload: Uint8Array
}

export type DecodeError = 'short' | 'version' | 'type' | 'extension'

const MASK16 = 0xffff

/**
 * Encodes one packet; the selective ack bitmask must be a positive multiple of 4 bytes.
 * `paddingBytes` (0, or at least 2) adds padding extensions of that many bytes in all.
 */
export function encodePacket(packet: UtpPacket, paddingBytes = 0): Uint8Array {
  const sack = packet.selectiveAck
  const pads = paddingLengths(paddingBytes)
  const extensionBytes = (sack === undefined ? 0 : 2 + sack.length) + paddingBytes
  const out = new Uint8Array(HEADER_BYTES + extensionBytes + packet.payload.length)
  const view = new DataView(out.buffer)
  out[0] = (packet.type << 4) | UTP_VERSION
  out[1] = sack !== undefined ? EXTENSION_SELECTIVE_ACK : pads.length > 0 ? EXTENSION_PADDING : 0
  view.setUint16(2, packet.connectionId & MASK16)
  view.setUint32(4, packet.timestampMicros >>> 0)
  view.setUint32(8, packet.timestampDiffMicros >>> 0)
  view.setUint32(12, packet.windowBytes >>> 0)
  view.setUint16(16, packet.seq & MASK16)
  view.setUint16(18, packet.ack & MASK16)
  let offset = HEADER_BYTES
  if (sack !== undefined) {
    out[offset] = pads.length > 0 ? EXTENSION_PADDING : 0
    out[offset + 1] = sack.length
    out.set(sack, offset + 2)
    offset += 2 + sack.length
  }
  pads.forEach((length, i) => {
    out[offset] = i + 1 < pads.length ? EXTENSION_PADDING : 0
    out[offset + 1] = length
    // The bytes stay zero.
    offset += EXTENSION_HEADER_BYTES + length
  })
  out.set(packet.payload, offset)
  return out
}

/** The lengths of the padding extensions that fill `bytes` (headers included) exactly. */
function paddingLengths(bytes: number): number[] {
  if (bytes === 0) return []
  if (!Number.isInteger(bytes) || bytes < EXTENSION_HEADER_BYTES) {
    throw new RangeError(`padding of ${bytes} bytes: 0 or at least 2`)
  }
  const lengths: number[] = []
  let left = bytes
  while (left > 0) {
    let take = Math.min(left, EXTENSION_HEADER_BYTES + EXTENSION_BYTES_MAX)
    // Never leave a single byte: no extension is that small.
    if (left - take === 1) take -= 1
    lengths.push(take - EXTENSION_HEADER_BYTES)
    left -= take
  }
  return lengths
}

/**
 * Decodes one datagram. Never throws: anything that is not a version 1 packet with a known
 * type and a well-formed extension chain is an error value (the caller drops it).
 * The payload is a view into `bytes`.
 */
export function decodePacket(bytes: Uint8Array): Result<UtpPacket, DecodeError> {
  if (bytes.length < HEADER_BYTES) return err('short')
  const first = bytes[0] as number
  if ((first & 0x0f) !== UTP_VERSION) return err('version')
  const type = first >> 4
  if (type > PacketType.syn) return err('type')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let extension = bytes[1] as number
  let offset = HEADER_BYTES
  let selectiveAck: Uint8Array | undefined
  while (extension !== 0) {
    if (offset + 2 > bytes.length) return err('extension')
    const next = bytes[offset] as number
    const length = bytes[offset + 1] as number
    const start = offset + 2
    if (start + length > bytes.length) return err('extension')
    // BEP 29 asks for a multiple of 4 bytes, but libtorrent sends masks of any length (one
    // byte when few packets wait): accept what arrives, as libtorrent does.
    if (extension === EXTENSION_SELECTIVE_ACK && length > 0) {
      selectiveAck = bytes.subarray(start, start + length)
    }
    extension = next
    offset = start + length
  }
  return ok({
    type: type as PacketType,
    connectionId: view.getUint16(2),
    timestampMicros: view.getUint32(4),
    timestampDiffMicros: view.getUint32(8),
    windowBytes: view.getUint32(12),
    seq: view.getUint16(16),
    ack: view.getUint16(18),
    ...(selectiveAck === undefined ? {} : { selectiveAck }),
    payload: bytes.subarray(offset),
  })
}

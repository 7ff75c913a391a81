/**
 * ChannelData messages (RFC 8656 section 12.4): a 4-byte header, channel number (0x4000 to
 * 0x4FFF) and data length, then the data. Over UDP the padding to a multiple of 4 is optional
 * on send and must be accepted on receive; over TCP it is required.
 */
import { readUint16BE, writeUint16BE } from '../../core/bytes.js'

export const CHANNEL_MIN = 0x4000
/** RFC 8656's range, which our client picks from. */
export const CHANNEL_MAX = 0x4fff
/**
 * RFC 5766 allowed up to 0x7FFE, and clients built on it (coturn's turnutils_uclient) pick
 * numbers there, so the server accepts the old range.
 */
export const CHANNEL_MAX_ACCEPTED = 0x7ffe
export const CHANNEL_DATA_HEADER_BYTES = 4

export const isChannelNumber = (channel: number): boolean =>
  Number.isInteger(channel) && channel >= CHANNEL_MIN && channel <= CHANNEL_MAX_ACCEPTED

/** True when the first two bits are 01: a ChannelData message, not STUN (RFC 7983 demux). */
export const looksLikeChannelData = (bytes: Uint8Array): boolean =>
  bytes.length >= CHANNEL_DATA_HEADER_BYTES && ((bytes[0] as number) & 0xc0) === 0x40

/**
 * `allocate` gives the bytes to write into (every byte is written; the data path passes a
 * `ByteSlab`'s `take`, byte-slab.ts); by default a new array.
 */
export function encodeChannelData(
  channel: number,
  data: Uint8Array,
  pad = false,
  allocate: (length: number) => Uint8Array = (length) => new Uint8Array(length),
): Uint8Array {
  if (!isChannelNumber(channel)) throw new RangeError(`channel 0x${channel.toString(16)}`)
  if (data.length > 0xffff) throw new RangeError('ChannelData carries at most 65535 bytes')
  const length = CHANNEL_DATA_HEADER_BYTES + (pad ? (data.length + 3) & ~3 : data.length)
  const out = allocate(length)
  writeUint16BE(out, 0, channel)
  writeUint16BE(out, 2, data.length)
  out.set(data, CHANNEL_DATA_HEADER_BYTES)
  out.fill(0, CHANNEL_DATA_HEADER_BYTES + data.length)
  return out
}

/** The channel and a view of the data; undefined for a bad channel or a short datagram. */
export function decodeChannelData(
  bytes: Uint8Array,
): { channel: number; data: Uint8Array } | undefined {
  if (bytes.length < CHANNEL_DATA_HEADER_BYTES) return undefined
  const channel = readUint16BE(bytes, 0)
  const length = readUint16BE(bytes, 2)
  if (!isChannelNumber(channel) || CHANNEL_DATA_HEADER_BYTES + length > bytes.length)
    return undefined
  return {
    channel,
    data: bytes.subarray(CHANNEL_DATA_HEADER_BYTES, CHANNEL_DATA_HEADER_BYTES + length),
  }
}

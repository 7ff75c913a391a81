/**
 * The 23-byte descriptor header and whole descriptors. Header: GUID (16), payload descriptor
 * (1), TTL (1), hops (1), payload length (4, little-endian; the QRP v1.0 appendix bytes show
 * the byte order). Decoding never throws; a bad payload is a `RemoteFault` value.
 */
import type { RemoteFault } from '../../core/errors.js'
import { err, ok, type Result } from '../../core/result.js'
import { FUNCTION, type Descriptor } from './messages.js'
import { decodePayload, encodePayload } from './payload-codec.js'
import { ByteReader } from './wire.js'

export const HEADER_BYTES = 23
export const GUID_BYTES = 16
/** The default cap on one payload: 64 KiB, what 0.6 servents accept. */
export const PAYLOAD_BYTES_MAX_DEFAULT = 65_536

export interface DescriptorHeader {
  readonly guid: Uint8Array
  readonly functionId: number
  readonly ttl: number
  readonly hops: number
  readonly payloadLength: number
}

/** Reads a header from the first 23 bytes of `bytes` (the caller checked the length). */
export function decodeHeader(bytes: Uint8Array): DescriptorHeader {
  const r = new ByteReader(bytes.subarray(16, HEADER_BYTES))
  return {
    guid: bytes.slice(0, GUID_BYTES),
    functionId: r.u8() as number,
    ttl: r.u8() as number,
    hops: r.u8() as number,
    payloadLength: r.u32le() as number,
  }
}

export function encodeDescriptor(descriptor: Descriptor): Uint8Array {
  const payload = encodePayload(descriptor.payload)
  const out = new Uint8Array(HEADER_BYTES + payload.length)
  out.set(descriptor.guid.subarray(0, GUID_BYTES), 0)
  out[16] = FUNCTION[descriptor.payload.type]
  out[17] = descriptor.ttl
  out[18] = descriptor.hops
  const n = payload.length
  out[19] = n & 0xff
  out[20] = (n >>> 8) & 0xff
  out[21] = (n >>> 16) & 0xff
  out[22] = n >>> 24
  out.set(payload, HEADER_BYTES)
  return out
}

/** Decodes one whole descriptor (header + exactly its payload). */
export function decodeDescriptor(
  frame: Uint8Array,
  payloadBytesMax = PAYLOAD_BYTES_MAX_DEFAULT,
): Result<Descriptor, RemoteFault> {
  if (frame.length < HEADER_BYTES) return err({ code: 'malformed', detail: 'short header' })
  const header = decodeHeader(frame)
  if (header.payloadLength > payloadBytesMax) {
    return err({ code: 'limit_exceeded', detail: `payload of ${header.payloadLength} bytes` })
  }
  if (frame.length !== HEADER_BYTES + header.payloadLength) {
    return err({ code: 'malformed', detail: 'payload length does not match the frame' })
  }
  return decodeBody(header, frame.subarray(HEADER_BYTES))
}

export function decodeBody(
  header: DescriptorHeader,
  payload: Uint8Array,
): Result<Descriptor, RemoteFault> {
  const decoded = decodePayload(header.functionId, payload)
  if (!decoded.ok) return err({ code: 'malformed', detail: decoded.error })
  return ok({ guid: header.guid, ttl: header.ttl, hops: header.hops, payload: decoded.value })
}

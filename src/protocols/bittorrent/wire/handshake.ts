/**
 * The BEP 3 handshake and its reserved bits. Layout (68 bytes):
 *   0x13 | 'BitTorrent protocol' (19) | reserved (8) | info_hash (20) | peer_id (20)
 * Each extension claims one bit of `reserved`; a feature is on for a connection only when both
 * handshakes set its bit.
 */
import { idFromBytes, type Id160 } from '../../../core/id.js'
import { assert } from '../../../core/errors.js'
import { err, ok, type Result } from '../../../core/result.js'
import { wireError, type WireError } from './errors.js'
import { HANDSHAKE_BYTES, PEER_ID_BYTES, PROTOCOL_STRING, RESERVED_BYTES } from './limits.js'
import type { Handshake } from './messages.js'

/** One bit of the handshake's reserved bytes: `reserved[byte] & mask`. */
export interface ReservedBit {
  readonly byte: number
  readonly mask: number
}

/** BEP 6 fast extension: reserved[7] & 0x04. */
export const FAST_EXTENSION_BIT: ReservedBit = { byte: 7, mask: 0x04 }
/** BEP 10 extension protocol: reserved[5] & 0x10. */
export const EXTENSION_PROTOCOL_BIT: ReservedBit = { byte: 5, mask: 0x10 }
/** BEP 5 DHT (the peer sends `port`): reserved[7] & 0x01. */
export const DHT_BIT: ReservedBit = { byte: 7, mask: 0x01 }
/**
 * BEP 52 upgrade: reserved[7] & 0x10. Set by a v2-capable client naming a hybrid by its v1
 * hash; the receiver may answer with the truncated v2 hash, and the connection is then v2.
 */
export const V2_UPGRADE_BIT: ReservedBit = { byte: 7, mask: 0x10 }

const PSTR_BYTES = Uint8Array.from(PROTOCOL_STRING, (c) => c.charCodeAt(0))
const RESERVED_AT = 1 + PSTR_BYTES.length
const INFO_HASH_AT = RESERVED_AT + RESERVED_BYTES
const PEER_ID_AT = INFO_HASH_AT + 20

export const hasReservedBit = (reserved: Uint8Array, bit: ReservedBit): boolean =>
  ((reserved[bit.byte] ?? 0) & bit.mask) !== 0

/** 8 reserved bytes with exactly `bits` set. */
export function reservedWith(bits: readonly ReservedBit[]): Uint8Array {
  const reserved = new Uint8Array(RESERVED_BYTES)
  for (const bit of bits) reserved[bit.byte] = (reserved[bit.byte] as number) | bit.mask
  return reserved
}

export const supportsFastExtension = (reserved: Uint8Array): boolean =>
  hasReservedBit(reserved, FAST_EXTENSION_BIT)
export const supportsExtensionProtocol = (reserved: Uint8Array): boolean =>
  hasReservedBit(reserved, EXTENSION_PROTOCOL_BIT)
export const supportsDht = (reserved: Uint8Array): boolean => hasReservedBit(reserved, DHT_BIT)
export const offersV2Upgrade = (reserved: Uint8Array): boolean =>
  hasReservedBit(reserved, V2_UPGRADE_BIT)

/** Writes the 68 handshake bytes at `offset`; returns the offset after them. */
export function writeHandshake(handshake: Handshake, target: Uint8Array, offset: number): number {
  assert(handshake.reserved.length === RESERVED_BYTES, 'handshake reserved must be 8 bytes')
  assert(handshake.infoHash.length === 20, 'handshake info_hash must be 20 bytes')
  assert(handshake.peerId.length === PEER_ID_BYTES, 'handshake peer_id must be 20 bytes')
  target[offset] = PSTR_BYTES.length
  target.set(PSTR_BYTES, offset + 1)
  target.set(handshake.reserved, offset + RESERVED_AT)
  target.set(handshake.infoHash, offset + INFO_HASH_AT)
  target.set(handshake.peerId, offset + PEER_ID_AT)
  return offset + HANDSHAKE_BYTES
}

export function encodeHandshake(handshake: Handshake): Uint8Array {
  const bytes = new Uint8Array(HANDSHAKE_BYTES)
  writeHandshake(handshake, bytes, 0)
  return bytes
}

/** Whether `byte` can open a handshake: the frame reader rejects a bad one before buffering. */
export const isHandshakeStart = (byte: number): boolean => byte === PSTR_BYTES.length

/**
 * Decodes exactly 68 bytes. The fields are copies: a handshake outlives the chunk it came in,
 * and copying 48 bytes once per connection is free.
 */
export function decodeHandshake(bytes: Uint8Array): Result<Handshake, WireError> {
  if (bytes.length !== HANDSHAKE_BYTES) {
    return err(wireError('bad_handshake_length', `${bytes.length} bytes, expected 68`))
  }
  if (bytes[0] !== PSTR_BYTES.length) return err(wireError('bad_pstr', `pstrlen ${bytes[0]}`))
  for (let i = 0; i < PSTR_BYTES.length; i++) {
    if (bytes[1 + i] !== PSTR_BYTES[i]) return err(wireError('bad_pstr', `pstr byte ${i}`))
  }
  return ok({
    type: 'handshake',
    reserved: bytes.slice(RESERVED_AT, INFO_HASH_AT),
    infoHash: idFromBytes(bytes.subarray(INFO_HASH_AT, PEER_ID_AT)) as Id160,
    peerId: bytes.slice(PEER_ID_AT, HANDSHAKE_BYTES),
  })
}

/**
 * The STUN message codec (RFC 8489 sections 5, 6, 14.5-14.7): header with method and class
 * bits, magic cookie and transaction id; attributes in TLV form padded to 4 bytes;
 * MESSAGE-INTEGRITY (HMAC-SHA1), MESSAGE-INTEGRITY-SHA256 and FINGERPRINT computed over the
 * message up to them with the length field patched as the RFC says.
 *
 * `decodeStun` never throws. It checks the framing and the FINGERPRINT; it does not check
 * integrity, which needs a key the caller picks from USERNAME/REALM: `verifyIntegrity`.
 */
import { readUint16BE, readUint32BE, writeUint16BE, writeUint32BE } from '../../core/bytes.js'
import { crc32 } from '../../core/crypto/crc32.js'
import { hmacSha1, hmacSha256 } from '../../core/crypto/hmac.js'
import { err, ok, type Result } from '../../core/result.js'
import { decodeAttribute, encodeAttribute, type StunAttribute } from './attributes.js'
import {
  AttributeType,
  FINGERPRINT_XOR,
  HEADER_BYTES,
  MAGIC_COOKIE,
  TRANSACTION_ID_BYTES,
  type StunClass,
} from './constants.js'

export interface StunMessage {
  /** 12 bits: `StunMethod.Binding`, `StunMethod.Allocate`... */
  readonly method: number
  readonly messageClass: StunClass
  /** 12 bytes. */
  readonly transactionId: Uint8Array
  /** In wire order; without MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT (see `DecodedStun`). */
  readonly attributes: readonly StunAttribute[]
}

export interface EncodeOptions {
  /** Appends MESSAGE-INTEGRITY, HMAC-SHA1 keyed with this (a password or long-term key). */
  readonly integrity?: Uint8Array
  /** Appends MESSAGE-INTEGRITY-SHA256 (after MESSAGE-INTEGRITY when both are given). */
  readonly integritySha256?: Uint8Array
  /** Appends FINGERPRINT, last. */
  readonly fingerprint?: boolean
}

/** Where a MESSAGE-INTEGRITY(-SHA256) sat in the datagram, to verify it against a key later. */
export interface IntegrityField {
  /** Offset of the attribute's header in `bytes`. */
  readonly offset: number
  readonly value: Uint8Array
}

export interface DecodedStun extends StunMessage {
  /** The message's bytes (a view of the input: header plus the declared length). */
  readonly bytes: Uint8Array
  readonly integrity?: IntegrityField
  readonly integritySha256?: IntegrityField
  /** True when a FINGERPRINT was present (a wrong one fails the decode). */
  readonly fingerprint: boolean
  /** Comprehension-required attribute types this codec does not know (answer with 420). */
  readonly unknownRequired: readonly number[]
}

export type StunDecodeError =
  | { readonly code: 'short'; readonly length: number }
  | { readonly code: 'not_stun' }
  | { readonly code: 'bad_length'; readonly declared: number; readonly available: number }
  | { readonly code: 'bad_attribute'; readonly type: number; readonly header: StunHeader }
  | { readonly code: 'truncated_attribute'; readonly header: StunHeader }
  | { readonly code: 'bad_fingerprint' }

export interface StunHeader {
  readonly method: number
  readonly messageClass: StunClass
  readonly transactionId: Uint8Array
}

const CLASSES: readonly StunClass[] = ['request', 'indication', 'success', 'error']

const INTEGRITY_BYTES = 20
const FINGERPRINT_ATTRIBUTE_BYTES = 8

export function messageType(method: number, messageClass: StunClass): number {
  const c = CLASSES.indexOf(messageClass)
  return (
    ((method & 0xf80) << 2) |
    ((method & 0x070) << 1) |
    (method & 0x00f) |
    ((c & 2) << 7) |
    ((c & 1) << 4)
  )
}

function splitType(type: number): { method: number; messageClass: StunClass } {
  const method = ((type & 0x3e00) >> 2) | ((type & 0x00e0) >> 1) | (type & 0x000f)
  const c = ((type & 0x0100) >> 7) | ((type & 0x0010) >> 4)
  return { method, messageClass: CLASSES[c] as StunClass }
}

const padded = (length: number): number => (length + 3) & ~3

/**
 * True when `bytes` looks like a STUN message: the first two bits zero, the magic cookie, a
 * length that is a multiple of 4 and fits. What a multiplexing socket checks first (RFC 7983).
 */
export function isStunMessage(bytes: Uint8Array): boolean {
  if (bytes.length < HEADER_BYTES || ((bytes[0] as number) & 0xc0) !== 0) return false
  const length = readUint16BE(bytes, 2)
  return (
    length % 4 === 0 &&
    HEADER_BYTES + length <= bytes.length &&
    readUint32BE(bytes, 4) === MAGIC_COOKIE
  )
}

/** Encodes a message. Throws RangeError on a bad transaction id or a value with no encoding. */
export function encodeStun(message: StunMessage, options: EncodeOptions = {}): Uint8Array {
  if (message.transactionId.length !== TRANSACTION_ID_BYTES) {
    throw new RangeError('a STUN transaction id is 12 bytes')
  }
  const encoded = message.attributes.map((a) => encodeAttribute(a, message.transactionId))
  let body = 0
  for (const { value } of encoded) body += 4 + padded(value.length)
  const tail =
    (options.integrity === undefined ? 0 : 4 + INTEGRITY_BYTES) +
    (options.integritySha256 === undefined ? 0 : 4 + 32) +
    (options.fingerprint === true ? FINGERPRINT_ATTRIBUTE_BYTES : 0)
  if (body + tail > 0xffff) throw new RangeError(`STUN message body of ${body + tail} bytes`)

  const out = new Uint8Array(HEADER_BYTES + body + tail)
  writeUint16BE(out, 0, messageType(message.method, message.messageClass))
  writeUint32BE(out, 4, MAGIC_COOKIE)
  out.set(message.transactionId, 8)
  let at = HEADER_BYTES
  for (const { code, value } of encoded) {
    if (value.length > 0xffff) throw new RangeError(`attribute 0x${code.toString(16)} too long`)
    writeUint16BE(out, at, code)
    writeUint16BE(out, at + 2, value.length)
    out.set(value, at + 4)
    at += 4 + padded(value.length)
  }
  // Each trailer covers the message up to itself, with the length field counting up to and
  // including itself (RFC 8489 sections 14.5-14.7).
  const appendMac = (
    code: number,
    mac: (key: Uint8Array, parts: Uint8Array[]) => Uint8Array,
    key: Uint8Array,
  ): void => {
    const size = code === AttributeType.MessageIntegrity ? INTEGRITY_BYTES : 32
    writeUint16BE(out, 2, at + 4 + size - HEADER_BYTES)
    const digest = mac(key, [out.subarray(0, at)])
    writeUint16BE(out, at, code)
    writeUint16BE(out, at + 2, size)
    out.set(digest, at + 4)
    at += 4 + size
  }
  if (options.integrity !== undefined) {
    appendMac(AttributeType.MessageIntegrity, hmacSha1, options.integrity)
  }
  if (options.integritySha256 !== undefined) {
    appendMac(AttributeType.MessageIntegritySha256, hmacSha256, options.integritySha256)
  }
  writeUint16BE(out, 2, out.length - HEADER_BYTES)
  if (options.fingerprint === true) {
    const crc = crc32([out.subarray(0, at)]) ^ FINGERPRINT_XOR
    writeUint16BE(out, at, AttributeType.Fingerprint)
    writeUint16BE(out, at + 2, 4)
    writeUint32BE(out, at + 4, crc >>> 0)
  }
  return out
}

/**
 * Decodes one STUN message from a datagram (bytes after the declared length are ignored, as
 * for a stream). Attributes after MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256 and
 * FINGERPRINT are ignored, and so is anything after FINGERPRINT (RFC 8489 section 14.5).
 */
export function decodeStun(bytes: Uint8Array): Result<DecodedStun, StunDecodeError> {
  if (bytes.length < HEADER_BYTES) return err({ code: 'short', length: bytes.length })
  if (((bytes[0] as number) & 0xc0) !== 0 || readUint32BE(bytes, 4) !== MAGIC_COOKIE) {
    return err({ code: 'not_stun' })
  }
  const declared = readUint16BE(bytes, 2)
  if (declared % 4 !== 0 || HEADER_BYTES + declared > bytes.length) {
    return err({ code: 'bad_length', declared, available: bytes.length - HEADER_BYTES })
  }
  const message = bytes.subarray(0, HEADER_BYTES + declared)
  // Copies (`new Uint8Array(view)`), never `slice`: on a Node Buffer `slice` returns a view.
  const transactionId = new Uint8Array(message.subarray(8, HEADER_BYTES))
  const header: StunHeader = { ...splitType(readUint16BE(message, 0)), transactionId }

  const attributes: StunAttribute[] = []
  const unknownRequired: number[] = []
  let integrity: IntegrityField | undefined
  let integritySha256: IntegrityField | undefined
  let fingerprint = false
  let at = HEADER_BYTES
  while (at < message.length && !fingerprint) {
    if (at + 4 > message.length) return err({ code: 'truncated_attribute', header })
    const type = readUint16BE(message, at)
    const length = readUint16BE(message, at + 2)
    const valueAt = at + 4
    if (valueAt + length > message.length) return err({ code: 'truncated_attribute', header })
    const value = message.subarray(valueAt, valueAt + length)
    if (type === AttributeType.Fingerprint) {
      if (length !== 4) return err({ code: 'bad_attribute', type, header })
      // The CRC covers a header whose length counts up to the FINGERPRINT itself; when bytes
      // follow it (to be ignored), that is not the declared length, so patch a copy.
      const patchedHeader = new Uint8Array(message.subarray(0, HEADER_BYTES))
      writeUint16BE(patchedHeader, 2, valueAt + 4 - HEADER_BYTES)
      const crc = crc32([patchedHeader, message.subarray(HEADER_BYTES, at)]) ^ FINGERPRINT_XOR
      if (readUint32BE(value, 0) !== crc >>> 0) return err({ code: 'bad_fingerprint' })
      fingerprint = true
    } else if (type === AttributeType.MessageIntegrity) {
      if (length !== INTEGRITY_BYTES) return err({ code: 'bad_attribute', type, header })
      if (integrity === undefined && integritySha256 === undefined)
        integrity = { offset: at, value }
    } else if (type === AttributeType.MessageIntegritySha256) {
      if (length < 16 || length > 32 || length % 4 !== 0) {
        return err({ code: 'bad_attribute', type, header })
      }
      if (integritySha256 === undefined) integritySha256 = { offset: at, value }
    } else if (integrity === undefined && integritySha256 === undefined) {
      const attribute = decodeAttribute(type, value, transactionId)
      if (attribute === undefined) return err({ code: 'bad_attribute', type, header })
      if (attribute.type === 'unknown' && type < 0x8000) unknownRequired.push(type)
      attributes.push(attribute)
    }
    at = valueAt + padded(length)
  }
  if (at > message.length) return err({ code: 'truncated_attribute', header })
  return ok({
    ...header,
    attributes,
    bytes: message,
    ...(integrity === undefined ? {} : { integrity }),
    ...(integritySha256 === undefined ? {} : { integritySha256 }),
    fingerprint,
    unknownRequired,
  })
}

function macOver(
  message: DecodedStun,
  field: IntegrityField,
  mac: (key: Uint8Array, parts: Uint8Array[]) => Uint8Array,
  key: Uint8Array,
): Uint8Array {
  const header = new Uint8Array(message.bytes.subarray(0, HEADER_BYTES))
  writeUint16BE(header, 2, field.offset + 4 + field.value.length - HEADER_BYTES)
  return mac(key, [header, message.bytes.subarray(HEADER_BYTES, field.offset)])
}

/** Constant-time in the length of the MAC, so a wrong key leaks nothing through timing. */
function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number)
  return difference === 0
}

/**
 * Checks the message's MESSAGE-INTEGRITY-SHA256 when it has one (the stronger wins, as RFC
 * 8489 section 9.1.4 says), else its MESSAGE-INTEGRITY. False when it has neither.
 */
export function verifyIntegrity(message: DecodedStun, key: Uint8Array): boolean {
  if (message.integritySha256 !== undefined) {
    const full = macOver(message, message.integritySha256, hmacSha256, key)
    return sameMac(
      full.subarray(0, message.integritySha256.value.length),
      message.integritySha256.value,
    )
  }
  if (message.integrity !== undefined) {
    return sameMac(macOver(message, message.integrity, hmacSha1, key), message.integrity.value)
  }
  return false
}

/** A fresh 96-bit transaction id from the injected randomness. */
export const newTransactionId = (random: { bytes(length: number): Uint8Array }): Uint8Array =>
  random.bytes(TRANSACTION_ID_BYTES)

/** The first attribute of a kind, typed. */
export function findAttribute<K extends StunAttribute['type']>(
  message: Pick<StunMessage, 'attributes'>,
  type: K,
): Extract<StunAttribute, { type: K }> | undefined {
  return message.attributes.find((a) => a.type === type) as
    Extract<StunAttribute, { type: K }> | undefined
}

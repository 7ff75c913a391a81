/**
 * STUN attributes as typed values, and the value bytes of each (RFC 8489 section 14, RFC 5780
 * section 7, RFC 8656 section 18, RFC 8445 section 16). Integrity and FINGERPRINT are not in
 * this union: the codec computes them over the encoded message (see codec.ts).
 */
import type { Address } from '../../core/address.js'
import { isIPv4 } from '../../core/address.js'
import {
  fromUtf8Strict,
  readUint16BE,
  readUint32BE,
  utf8,
  writeUint16BE,
  writeUint32BE,
} from '../../core/bytes.js'
import { IPV4_BYTES, IPV6_BYTES, ipFromBytes, writeIp } from '../../core/ip-bytes.js'
import { AttributeType as T, MAGIC_COOKIE } from './constants.js'

export type StunAttribute =
  | { readonly type: 'mapped-address'; readonly address: Address }
  | { readonly type: 'xor-mapped-address'; readonly address: Address }
  | { readonly type: 'username'; readonly value: string }
  | { readonly type: 'realm'; readonly value: string }
  | { readonly type: 'nonce'; readonly value: string }
  | { readonly type: 'software'; readonly value: string }
  | { readonly type: 'error-code'; readonly code: number; readonly reason: string }
  | { readonly type: 'unknown-attributes'; readonly types: readonly number[] }
  | { readonly type: 'alternate-server'; readonly address: Address }
  // RFC 5780
  | { readonly type: 'change-request'; readonly changeIp: boolean; readonly changePort: boolean }
  | { readonly type: 'response-port'; readonly port: number }
  | { readonly type: 'response-origin'; readonly address: Address }
  | { readonly type: 'other-address'; readonly address: Address }
  | { readonly type: 'padding'; readonly length: number }
  // RFC 8656 (TURN)
  | { readonly type: 'channel-number'; readonly channel: number }
  | { readonly type: 'lifetime'; readonly seconds: number }
  | { readonly type: 'xor-peer-address'; readonly address: Address }
  | { readonly type: 'xor-relayed-address'; readonly address: Address }
  | { readonly type: 'data'; readonly value: Uint8Array }
  | { readonly type: 'requested-address-family'; readonly family: 4 | 6 }
  | { readonly type: 'additional-address-family'; readonly family: 4 | 6 }
  | { readonly type: 'even-port'; readonly reserve: boolean }
  | { readonly type: 'requested-transport'; readonly protocol: number }
  | { readonly type: 'dont-fragment' }
  | { readonly type: 'reservation-token'; readonly token: Uint8Array }
  | {
      readonly type: 'address-error-code'
      readonly family: 4 | 6
      readonly code: number
      readonly reason: string
    }
  // RFC 8445 (ICE)
  | { readonly type: 'priority'; readonly priority: number }
  | { readonly type: 'use-candidate' }
  | { readonly type: 'ice-controlled'; readonly tieBreaker: bigint }
  | { readonly type: 'ice-controlling'; readonly tieBreaker: bigint }
  /** Anything else, kept as bytes (a server answers 420 for unknown ones below 0x8000). */
  | { readonly type: 'unknown'; readonly code: number; readonly value: Uint8Array }

export type StunAttributeType = StunAttribute['type']

/** The longest USERNAME (RFC 8489 section 14.3) and REALM / NONCE / SOFTWARE (sections 14.9...). */
export const USERNAME_BYTES_MAX = 513
export const TEXT_BYTES_MAX = 763

// --- addresses ---------------------------------------------------------------------------------

const FAMILY_IPV4 = 0x01
const FAMILY_IPV6 = 0x02

function encodeAddress(address: Address): Uint8Array {
  const v4 = isIPv4(address.host)
  const out = new Uint8Array(4 + (v4 ? IPV4_BYTES : IPV6_BYTES))
  out[1] = v4 ? FAMILY_IPV4 : FAMILY_IPV6
  writeUint16BE(out, 2, address.port)
  if (!writeIp(address.host, out, 4, v4 ? IPV4_BYTES : IPV6_BYTES)) {
    throw new RangeError(`not an IP address: ${address.host}`)
  }
  return out
}

function decodeAddress(value: Uint8Array): Address | undefined {
  if (value.length < 4 || value[0] !== 0) return undefined
  const family = value[1]
  const expected = family === FAMILY_IPV4 ? 8 : family === FAMILY_IPV6 ? 20 : -1
  if (value.length !== expected) return undefined
  const host = ipFromBytes(value.subarray(4))
  return host === undefined ? undefined : { host, port: readUint16BE(value, 2) }
}

/** XOR with the cookie (port: its top 16 bits) and, for IPv6, cookie then transaction id. */
function xorInPlace(value: Uint8Array, transactionId: Uint8Array): Uint8Array {
  const mask = new Uint8Array(16)
  writeUint32BE(mask, 0, MAGIC_COOKIE)
  mask.set(transactionId, 4)
  value[2] = (value[2] as number) ^ (mask[0] as number)
  value[3] = (value[3] as number) ^ (mask[1] as number)
  for (let i = 4; i < value.length; i++) value[i] = (value[i] as number) ^ (mask[i - 4] as number)
  return value
}

const encodeXorAddress = (address: Address, transactionId: Uint8Array): Uint8Array =>
  xorInPlace(encodeAddress(address), transactionId)

const decodeXorAddress = (value: Uint8Array, transactionId: Uint8Array): Address | undefined =>
  // A copy: `value` may be a view of the datagram, and on a Node Buffer `slice` is a view too.
  decodeAddress(xorInPlace(new Uint8Array(value), transactionId))

// --- small fixed values ------------------------------------------------------------------------

const u32 = (value: number): Uint8Array => {
  const out = new Uint8Array(4)
  writeUint32BE(out, 0, value >>> 0)
  return out
}

const u64 = (value: bigint): Uint8Array => {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, value))
  return out
}

const familyByte = (family: 4 | 6): Uint8Array => new Uint8Array([family === 4 ? 1 : 2, 0, 0, 0])

const decodeFamily = (value: Uint8Array): 4 | 6 | undefined =>
  value.length !== 4 ? undefined : value[0] === 1 ? 4 : value[0] === 2 ? 6 : undefined

function encodeErrorCode(code: number, reason: string): Uint8Array {
  if (!Number.isInteger(code) || code < 300 || code > 699)
    throw new RangeError(`error code ${code}`)
  const text = utf8(reason)
  const out = new Uint8Array(4 + text.length)
  out[2] = Math.floor(code / 100)
  out[3] = code % 100
  out.set(text, 4)
  return out
}

function decodeErrorCode(value: Uint8Array): { code: number; reason: string } | undefined {
  if (value.length < 4) return undefined
  const hundreds = (value[2] as number) & 0x07
  const rest = value[3] as number
  if (hundreds < 3 || hundreds > 6 || rest > 99) return undefined
  const reason = fromUtf8Strict(value.subarray(4))
  return reason === undefined ? undefined : { code: hundreds * 100 + rest, reason }
}

function text(value: string, max: number): Uint8Array {
  const bytes = utf8(value)
  if (bytes.length > max) throw new RangeError(`attribute text of ${bytes.length} bytes`)
  return bytes
}

const decodeText = (value: Uint8Array, max: number): string | undefined =>
  value.length > max ? undefined : fromUtf8Strict(value)

// --- the two directions ------------------------------------------------------------------------

/** The type code and value bytes of an attribute. Throws RangeError on a value no encoding has. */
export function encodeAttribute(
  attribute: StunAttribute,
  transactionId: Uint8Array,
): { code: number; value: Uint8Array } {
  switch (attribute.type) {
    case 'mapped-address':
      return { code: T.MappedAddress, value: encodeAddress(attribute.address) }
    case 'xor-mapped-address':
      return { code: T.XorMappedAddress, value: encodeXorAddress(attribute.address, transactionId) }
    case 'username':
      return { code: T.Username, value: text(attribute.value, USERNAME_BYTES_MAX) }
    case 'realm':
      return { code: T.Realm, value: text(attribute.value, TEXT_BYTES_MAX) }
    case 'nonce':
      return { code: T.Nonce, value: text(attribute.value, TEXT_BYTES_MAX) }
    case 'software':
      return { code: T.Software, value: text(attribute.value, TEXT_BYTES_MAX) }
    case 'error-code':
      return { code: T.ErrorCode, value: encodeErrorCode(attribute.code, attribute.reason) }
    case 'unknown-attributes': {
      const value = new Uint8Array(attribute.types.length * 2)
      attribute.types.forEach((type, i) => writeUint16BE(value, i * 2, type))
      return { code: T.UnknownAttributes, value }
    }
    case 'alternate-server':
      return { code: T.AlternateServer, value: encodeAddress(attribute.address) }
    case 'change-request':
      return {
        code: T.ChangeRequest,
        value: u32((attribute.changeIp ? 4 : 0) | (attribute.changePort ? 2 : 0)),
      }
    case 'response-port': {
      const value = new Uint8Array(4)
      writeUint16BE(value, 0, attribute.port)
      return { code: T.ResponsePort, value }
    }
    case 'response-origin':
      return { code: T.ResponseOrigin, value: encodeAddress(attribute.address) }
    case 'other-address':
      return { code: T.OtherAddress, value: encodeAddress(attribute.address) }
    case 'padding':
      return { code: T.Padding, value: new Uint8Array(attribute.length) }
    case 'channel-number': {
      const value = new Uint8Array(4)
      writeUint16BE(value, 0, attribute.channel)
      return { code: T.ChannelNumber, value }
    }
    case 'lifetime':
      return { code: T.Lifetime, value: u32(attribute.seconds) }
    case 'xor-peer-address':
      return { code: T.XorPeerAddress, value: encodeXorAddress(attribute.address, transactionId) }
    case 'xor-relayed-address':
      return {
        code: T.XorRelayedAddress,
        value: encodeXorAddress(attribute.address, transactionId),
      }
    case 'data':
      return { code: T.Data, value: attribute.value }
    case 'requested-address-family':
      return { code: T.RequestedAddressFamily, value: familyByte(attribute.family) }
    case 'additional-address-family':
      return { code: T.AdditionalAddressFamily, value: familyByte(attribute.family) }
    case 'even-port':
      return { code: T.EvenPort, value: new Uint8Array([attribute.reserve ? 0x80 : 0]) }
    case 'requested-transport':
      return { code: T.RequestedTransport, value: new Uint8Array([attribute.protocol, 0, 0, 0]) }
    case 'dont-fragment':
      return { code: T.DontFragment, value: new Uint8Array(0) }
    case 'reservation-token':
      if (attribute.token.length !== 8) throw new RangeError('RESERVATION-TOKEN is 8 bytes')
      return { code: T.ReservationToken, value: attribute.token }
    case 'address-error-code': {
      const value = encodeErrorCode(attribute.code, attribute.reason)
      value[0] = attribute.family === 4 ? 1 : 2
      return { code: T.AddressErrorCode, value }
    }
    case 'priority':
      return { code: T.Priority, value: u32(attribute.priority) }
    case 'use-candidate':
      return { code: T.UseCandidate, value: new Uint8Array(0) }
    case 'ice-controlled':
      return { code: T.IceControlled, value: u64(attribute.tieBreaker) }
    case 'ice-controlling':
      return { code: T.IceControlling, value: u64(attribute.tieBreaker) }
    case 'unknown':
      return { code: attribute.code, value: attribute.value }
  }
}

/**
 * The typed attribute for a type code and its value bytes; undefined when the value is
 * malformed for its type (the caller answers 400 Bad Request). `value` may alias the datagram.
 */
export function decodeAttribute(
  code: number,
  value: Uint8Array,
  transactionId: Uint8Array,
): StunAttribute | undefined {
  const withAddress = <K extends StunAttribute['type']>(
    type: K,
    address: Address | undefined,
  ): StunAttribute | undefined =>
    address === undefined ? undefined : ({ type, address } as StunAttribute)
  const withText = (
    type: 'username' | 'realm' | 'nonce' | 'software',
    max: number,
  ): StunAttribute | undefined => {
    const decoded = decodeText(value, max)
    return decoded === undefined ? undefined : { type, value: decoded }
  }
  switch (code) {
    case T.MappedAddress:
      return withAddress('mapped-address', decodeAddress(value))
    case T.XorMappedAddress:
      return withAddress('xor-mapped-address', decodeXorAddress(value, transactionId))
    case T.Username:
      return withText('username', USERNAME_BYTES_MAX)
    case T.Realm:
      return withText('realm', TEXT_BYTES_MAX)
    case T.Nonce:
      return withText('nonce', TEXT_BYTES_MAX)
    case T.Software:
      return withText('software', TEXT_BYTES_MAX)
    case T.ErrorCode: {
      const decoded = decodeErrorCode(value)
      return decoded === undefined ? undefined : { type: 'error-code', ...decoded }
    }
    case T.UnknownAttributes: {
      if (value.length % 2 !== 0) return undefined
      const types: number[] = []
      for (let i = 0; i < value.length; i += 2) types.push(readUint16BE(value, i))
      return { type: 'unknown-attributes', types }
    }
    case T.AlternateServer:
      return withAddress('alternate-server', decodeAddress(value))
    case T.ChangeRequest: {
      if (value.length !== 4) return undefined
      const flags = readUint32BE(value, 0)
      return { type: 'change-request', changeIp: (flags & 4) !== 0, changePort: (flags & 2) !== 0 }
    }
    case T.ResponsePort:
      return value.length !== 4
        ? undefined
        : { type: 'response-port', port: readUint16BE(value, 0) }
    case T.ResponseOrigin:
      return withAddress('response-origin', decodeAddress(value))
    case T.OtherAddress:
      return withAddress('other-address', decodeAddress(value))
    case T.Padding:
      return { type: 'padding', length: value.length }
    case T.ChannelNumber:
      return value.length !== 4
        ? undefined
        : { type: 'channel-number', channel: readUint16BE(value, 0) }
    case T.Lifetime:
      return value.length !== 4 ? undefined : { type: 'lifetime', seconds: readUint32BE(value, 0) }
    case T.XorPeerAddress:
      return withAddress('xor-peer-address', decodeXorAddress(value, transactionId))
    case T.XorRelayedAddress:
      return withAddress('xor-relayed-address', decodeXorAddress(value, transactionId))
    case T.Data:
      return { type: 'data', value }
    case T.RequestedAddressFamily: {
      const family = decodeFamily(value)
      return family === undefined ? undefined : { type: 'requested-address-family', family }
    }
    case T.AdditionalAddressFamily: {
      const family = decodeFamily(value)
      return family === undefined ? undefined : { type: 'additional-address-family', family }
    }
    case T.EvenPort:
      return value.length !== 1
        ? undefined
        : { type: 'even-port', reserve: ((value[0] as number) & 0x80) !== 0 }
    case T.RequestedTransport:
      return value.length !== 4
        ? undefined
        : { type: 'requested-transport', protocol: value[0] as number }
    case T.DontFragment:
      return value.length !== 0 ? undefined : { type: 'dont-fragment' }
    case T.ReservationToken:
      return value.length !== 8 ? undefined : { type: 'reservation-token', token: value }
    case T.AddressErrorCode: {
      const family = value[0] === 1 ? 4 : value[0] === 2 ? 6 : undefined
      const decoded = decodeErrorCode(value)
      return family === undefined || decoded === undefined
        ? undefined
        : { type: 'address-error-code', family, ...decoded }
    }
    case T.Priority:
      return value.length !== 4 ? undefined : { type: 'priority', priority: readUint32BE(value, 0) }
    case T.UseCandidate:
      return value.length !== 0 ? undefined : { type: 'use-candidate' }
    case T.IceControlled:
    case T.IceControlling: {
      if (value.length !== 8) return undefined
      const tieBreaker = new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0)
      return { type: code === T.IceControlled ? 'ice-controlled' : 'ice-controlling', tieBreaker }
    }
    default:
      return { type: 'unknown', code, value }
  }
}

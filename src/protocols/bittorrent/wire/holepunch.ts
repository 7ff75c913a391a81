import type { Address } from '../../../core/address.js'
import { readUint16BE, readUint32BE, writeUint16BE, writeUint32BE } from '../../../core/bytes.js'
import { IPV4_BYTES, IPV6_BYTES, ipToBytes, readIpv4, readIpv6 } from '../../../core/ip-bytes.js'
import { err, ok, type Result } from '../../../core/result.js'

/**
 * BEP 55 holepunch extension (`ut_holepunch` in the BEP 10 handshake's `m`): a peer asks a
 * relaying peer it is connected to ("rendezvous") to introduce it to a third peer; the relay
 * sends both ends a "connect" naming the other, and both then open a connection to each other
 * at once (uTP in the BEP; any simultaneous open works), or the relay answers with an error.
 *
 * Payload (big-endian): msg_type u8 | addr_type u8 (0 IPv4, 1 IPv6) | addr 4|16 | port u16 |
 * err_code u32 (0 unless msg_type is error). We always send err_code, as the BEP lays it out;
 * libtorrent (`write_holepunch_msg`) writes it for error messages only, so a rendezvous or
 * connect without it is accepted too (refusing it dropped libtorrent's rendezvous as malformed).
 */
export type HolepunchMessage =
  | { readonly type: 'rendezvous'; readonly peer: Address }
  | { readonly type: 'connect'; readonly peer: Address }
  | { readonly type: 'error'; readonly peer: Address; readonly code: HolepunchErrorCode }

export const HolepunchMessageType = { Rendezvous: 0x00, Connect: 0x01, Error: 0x02 } as const

/** BEP 55 error codes. */
export const HolepunchErrorCode = {
  /** The target endpoint is invalid. */
  NoSuchPeer: 0x01,
  /** The relaying peer is not connected to the target peer. */
  NotConnected: 0x02,
  /** The target peer does not support the holepunch extension. */
  NoSupport: 0x03,
  /** The target endpoint belongs to the relaying peer. */
  NoSelf: 0x04,
} as const
export type HolepunchErrorCode = (typeof HolepunchErrorCode)[keyof typeof HolepunchErrorCode]

export type HolepunchDecodeError =
  | { readonly code: 'bad_length'; readonly length: number }
  | { readonly code: 'bad_message_type'; readonly value: number }
  | { readonly code: 'bad_address_type'; readonly value: number }
  | { readonly code: 'bad_error_code'; readonly value: number }

const ADDR_IPV4 = 0x00
const ADDR_IPV6 = 0x01
const HEADER_BYTES = 2
const PORT_BYTES = 2
const ERROR_CODE_BYTES = 4

const ERROR_CODES: readonly number[] = Object.values(HolepunchErrorCode)

/** Encodes a message; throws RangeError on an address that is not an IP literal. */
export function encodeHolepunch(message: HolepunchMessage): Uint8Array {
  const ip = ipToBytes(message.peer.host)
  if (ip === undefined) throw new RangeError(`not an IP address: ${message.peer.host}`)
  const out = new Uint8Array(HEADER_BYTES + ip.length + PORT_BYTES + ERROR_CODE_BYTES)
  out[0] =
    message.type === 'rendezvous'
      ? HolepunchMessageType.Rendezvous
      : message.type === 'connect'
        ? HolepunchMessageType.Connect
        : HolepunchMessageType.Error
  out[1] = ip.length === IPV4_BYTES ? ADDR_IPV4 : ADDR_IPV6
  out.set(ip, HEADER_BYTES)
  writeUint16BE(out, HEADER_BYTES + ip.length, message.peer.port)
  writeUint32BE(out, HEADER_BYTES + ip.length + 2, message.type === 'error' ? message.code : 0)
  return out
}

/** Decodes a payload; never throws. A non-zero err_code on a non-error message is ignored. */
export function decodeHolepunch(bytes: Uint8Array): Result<HolepunchMessage, HolepunchDecodeError> {
  if (bytes.length < HEADER_BYTES) return err({ code: 'bad_length', length: bytes.length })
  const messageType = bytes[0] as number
  const addressType = bytes[1] as number
  if (addressType !== ADDR_IPV4 && addressType !== ADDR_IPV6) {
    return err({ code: 'bad_address_type', value: addressType })
  }
  const ipBytes = addressType === ADDR_IPV4 ? IPV4_BYTES : IPV6_BYTES
  const short = HEADER_BYTES + ipBytes + PORT_BYTES
  const full = short + ERROR_CODE_BYTES
  // Only an error needs its code; the others may come without one (libtorrent's).
  const lengthOk =
    bytes.length === full || (bytes.length === short && messageType !== HolepunchMessageType.Error)
  if (!lengthOk) return err({ code: 'bad_length', length: bytes.length })
  const host =
    addressType === ADDR_IPV4 ? readIpv4(bytes, HEADER_BYTES) : readIpv6(bytes, HEADER_BYTES)
  const peer = { host, port: readUint16BE(bytes, HEADER_BYTES + ipBytes) }
  const code = bytes.length === full ? readUint32BE(bytes, short) : 0
  switch (messageType) {
    case HolepunchMessageType.Rendezvous:
      return ok({ type: 'rendezvous', peer })
    case HolepunchMessageType.Connect:
      return ok({ type: 'connect', peer })
    case HolepunchMessageType.Error:
      if (!ERROR_CODES.includes(code)) return err({ code: 'bad_error_code', value: code })
      return ok({ type: 'error', peer, code: code as HolepunchErrorCode })
    default:
      return err({ code: 'bad_message_type', value: messageType })
  }
}

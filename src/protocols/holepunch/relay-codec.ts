import type { Address } from '../../core/address.js'
import { readUint16BE, readUint32BE, writeUint16BE, writeUint32BE } from '../../core/bytes.js'
import { isIPv4 } from '../../core/address.js'
import { err, ok, type Result } from '../../core/result.js'

/**
 * A minimal UDP relay (a "TURN-lite") for the hole-punch tests and the simulator: a client
 * allocates a public port on the relay, then sends through it and hears from it, with a
 * TURN-like permission rule (only hosts the client has sent to get through).
 *
 * Wire format (IPv4 only; the first byte is >= 0xc0, so it never looks like STUN, whose first
 * two bits are zero, RFC 7983):
 *   ALLOCATE   c1 | tid(4)
 *   ALLOCATED  c2 | tid(4) | ip(4) | port(2)
 *   SEND       c3 | ip(4) | port(2) | payload     client -> relay: send payload to ip:port
 *   DATA       c4 | ip(4) | port(2) | payload     relay -> client: payload came from ip:port
 *   REFUSED    c5 | tid(4) | code(1)
 *   RESERVE    c6 | tid(4)                        ALLOCATE with a mailbox: see below
 *   KNOCK      c7 | ip(4) | port(2) | payload     relay -> client: an unsolicited datagram
 *   IDENTIFY   c8 | tid(4)                        who runs this relay?
 *   IDENTITY   c9 | tid(4) | record               the relay's signed service record (may be empty)
 *
 * A reservation (RESERVE, answered with ALLOCATED) is an allocation whose public port is also
 * a mailbox: a datagram from a host without a permission is passed to the client as a KNOCK
 * (a bounded number per second) instead of being dropped, so a stranger can send a NATed
 * client its first signalling message. The client answers with SEND, which opens the
 * permission as usual; nothing else gets through unasked.
 */
export type RelayMessage =
  | { readonly type: 'allocate'; readonly tid: number }
  | { readonly type: 'allocated'; readonly tid: number; readonly relayed: Address }
  | { readonly type: 'send'; readonly to: Address; readonly payload: Uint8Array }
  | { readonly type: 'data'; readonly from: Address; readonly payload: Uint8Array }
  | { readonly type: 'refused'; readonly tid: number; readonly code: RelayRefusal }
  | { readonly type: 'reserve'; readonly tid: number }
  | { readonly type: 'knock'; readonly from: Address; readonly payload: Uint8Array }
  | { readonly type: 'identify'; readonly tid: number }
  | { readonly type: 'identity'; readonly tid: number; readonly record: Uint8Array }

/** Why an allocation was refused. */
export const RelayRefusal = { Capacity: 1, PerClientLimit: 2 } as const
export type RelayRefusal = (typeof RelayRefusal)[keyof typeof RelayRefusal]

export type RelayDecodeError = 'empty' | 'unknown_tag' | 'short' | 'bad_code' | 'too_large'

const TAG = {
  allocate: 0xc1,
  allocated: 0xc2,
  send: 0xc3,
  data: 0xc4,
  refused: 0xc5,
  reserve: 0xc6,
  knock: 0xc7,
  identify: 0xc8,
  identity: 0xc9,
} as const

/** A relay's identity record is a BEP 44 item: at most 1000 bytes of value plus its frame. */
export const IDENTITY_BYTES_MAX = 1200

/** True when the datagram is a relay-lite message (first byte 0xc1..0xc9). */
export const isRelayMessage = (bytes: Uint8Array): boolean =>
  bytes.length > 0 && (bytes[0] as number) >= TAG.allocate && (bytes[0] as number) <= TAG.identity

const withTid = (tag: number, tid: number, rest: Uint8Array = new Uint8Array(0)): Uint8Array => {
  const out = new Uint8Array(5 + rest.length)
  out[0] = tag
  writeUint32BE(out, 1, tid)
  out.set(rest, 5)
  return out
}

function writeAddress(out: Uint8Array, at: number, address: Address): void {
  if (!isIPv4(address.host)) throw new RangeError(`relay-lite is IPv4 only: ${address.host}`)
  const parts = address.host.split('.').map(Number)
  parts.forEach((part, i) => (out[at + i] = part))
  writeUint16BE(out, at + 4, address.port)
}

const readAddress = (bytes: Uint8Array, at: number): Address => ({
  host: `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`,
  port: readUint16BE(bytes, at + 4),
})

export function encodeRelay(message: RelayMessage): Uint8Array {
  switch (message.type) {
    case 'allocate': {
      const out = new Uint8Array(5)
      out[0] = TAG.allocate
      writeUint32BE(out, 1, message.tid)
      return out
    }
    case 'allocated': {
      const out = new Uint8Array(11)
      out[0] = TAG.allocated
      writeUint32BE(out, 1, message.tid)
      writeAddress(out, 5, message.relayed)
      return out
    }
    case 'send':
    case 'data':
    case 'knock': {
      const out = new Uint8Array(7 + message.payload.length)
      out[0] = TAG[message.type]
      writeAddress(out, 1, message.type === 'send' ? message.to : message.from)
      out.set(message.payload, 7)
      return out
    }
    case 'refused': {
      const out = new Uint8Array(6)
      out[0] = TAG.refused
      writeUint32BE(out, 1, message.tid)
      out[5] = message.code
      return out
    }
    case 'reserve':
    case 'identify':
      return withTid(TAG[message.type], message.tid)
    case 'identity':
      if (message.record.length > IDENTITY_BYTES_MAX) throw new RangeError('identity too large')
      return withTid(TAG.identity, message.tid, message.record)
  }
}

export function decodeRelay(bytes: Uint8Array): Result<RelayMessage, RelayDecodeError> {
  if (bytes.length === 0) return err('empty')
  const tag = bytes[0]
  switch (tag) {
    case TAG.allocate:
      return bytes.length === 5
        ? ok({ type: 'allocate', tid: readUint32BE(bytes, 1) })
        : err('short')
    case TAG.allocated:
      return bytes.length === 11
        ? ok({ type: 'allocated', tid: readUint32BE(bytes, 1), relayed: readAddress(bytes, 5) })
        : err('short')
    case TAG.send:
    case TAG.data:
    case TAG.knock: {
      if (bytes.length < 7) return err('short')
      const address = readAddress(bytes, 1)
      const payload = bytes.slice(7)
      if (tag === TAG.send) return ok({ type: 'send', to: address, payload })
      return ok({ type: tag === TAG.data ? 'data' : 'knock', from: address, payload })
    }
    case TAG.reserve:
    case TAG.identify:
      return bytes.length === 5
        ? ok({ type: tag === TAG.reserve ? 'reserve' : 'identify', tid: readUint32BE(bytes, 1) })
        : err('short')
    case TAG.identity:
      if (bytes.length < 5) return err('short')
      if (bytes.length > 5 + IDENTITY_BYTES_MAX) return err('too_large')
      return ok({ type: 'identity', tid: readUint32BE(bytes, 1), record: bytes.slice(5) })
    case TAG.refused: {
      if (bytes.length !== 6) return err('short')
      const code = bytes[5]
      if (code !== RelayRefusal.Capacity && code !== RelayRefusal.PerClientLimit)
        return err('bad_code')
      return ok({ type: 'refused', tid: readUint32BE(bytes, 1), code })
    }
    default:
      return err('unknown_tag')
  }
}

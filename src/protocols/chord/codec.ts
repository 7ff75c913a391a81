import { address, isValidPort } from '../../core/address.js'
import type { Codec } from '../../core/core.js'
import { ipToBytes, readIpv4, readIpv6 } from '../../core/ip-bytes.js'
import { err, ok, type Result } from '../../core/result.js'
import type { ChordMessage, ChordMessageType, NodeRef } from './messages.js'
import type { Ring } from './ring.js'

/** Hosts' address bytes, memoised: node lists repeat the same hosts in every answer. */
const HOST_BYTES = new Map<string, Uint8Array | null>()
function hostBytes(host: string): Uint8Array | undefined {
  const known = HOST_BYTES.get(host)
  if (known !== undefined) return known ?? undefined
  if (HOST_BYTES.size >= 1 << 18) HOST_BYTES.clear()
  const bytes = ipToBytes(host)
  HOST_BYTES.set(host, bytes ?? null)
  return bytes
}

/**
 * Chord's compact binary datagram format (big-endian):
 *
 *   magic 0xC4 | type u8 | tid u32 | sender id (ceil(m/8) bytes) | body
 *
 * A node is `id | family u8 (4 or 6) | 4 or 16 address bytes | port u16`; a node list is
 * `count u8` then nodes; a value is `length u16` then bytes. Hard limits keep a datagram under
 * one Ethernet MTU: at most `DATAGRAM_BYTES_MAX` bytes, `NODES_MAX` nodes in a list,
 * `VALUE_BYTES_MAX` bytes in a value. Decoding never throws: a short, long, unknown, oversized
 * or out-of-range message is an error value naming what was wrong.
 */
export const DATAGRAM_BYTES_MAX = 1400
export const VALUE_BYTES_MAX = 1024
export const NODES_MAX = 16
const MAGIC = 0xc4

const TYPES: readonly ChordMessageType[] = [
  'find_successor',
  'found',
  'next',
  'get_predecessor',
  'predecessor',
  'notify',
  'ping',
  'pong',
  'store',
  'stored',
  'fetch',
  'value',
  'remove',
  'removed',
  'leaving',
  'route',
  'routed',
]
const CODE = new Map(TYPES.map((t, i) => [t, i + 1]))

export type ChordDecodeError =
  | 'too_short'
  | 'too_long'
  | 'bad_magic'
  | 'unknown_type'
  | 'id_out_of_range'
  | 'bad_address'
  | 'too_many_nodes'
  | 'value_too_long'
  | 'trailing_bytes'

/**
 * Writes into one growing buffer shared by every encode (encoding is synchronous, so never
 * re-entered): a 100,000-node run encodes millions of datagrams, and a `number[]` a message
 * then `Uint8Array.from` was a tenth of its profile.
 */
class Writer {
  buffer = new Uint8Array(2048)
  length = 0
  reset(): void {
    this.length = 0
  }
  private room(n: number): void {
    if (this.length + n <= this.buffer.length) return
    const bigger = new Uint8Array(Math.max(this.buffer.length * 2, this.length + n))
    bigger.set(this.buffer.subarray(0, this.length))
    this.buffer = bigger
  }
  u8(v: number): void {
    this.room(1)
    this.buffer[this.length++] = v & 0xff
  }
  u16(v: number): void {
    this.room(2)
    this.buffer[this.length++] = (v >>> 8) & 0xff
    this.buffer[this.length++] = v & 0xff
  }
  u32(v: number): void {
    this.room(4)
    this.buffer[this.length++] = (v >>> 24) & 0xff
    this.buffer[this.length++] = (v >>> 16) & 0xff
    this.buffer[this.length++] = (v >>> 8) & 0xff
    this.buffer[this.length++] = v & 0xff
  }
  bytes(b: Uint8Array): void {
    this.room(b.length)
    this.buffer.set(b, this.length)
    this.length += b.length
  }
  /** `width` bytes of `id`, big-endian, from its hex text (no intermediate array). */
  id(id: bigint, width: number): void {
    this.room(width)
    const hex = id.toString(16)
    const pad = width * 2 - hex.length
    for (let i = 0; i < width; i++) {
      const hi = 2 * i - pad
      const h = hi < 0 ? 0 : nibble(hex.charCodeAt(hi))
      const l = hi + 1 < 0 ? 0 : nibble(hex.charCodeAt(hi + 1))
      this.buffer[this.length++] = (h << 4) | l
    }
  }
  take(): Uint8Array {
    return this.buffer.slice(0, this.length)
  }
}

/** A lowercase hex digit's value from its character code. */
const nibble = (code: number): number => (code <= 57 ? code - 48 : code - 87)

class Fail {
  constructor(readonly reason: ChordDecodeError) {}
}

class Reader {
  offset = 0
  constructor(readonly data: Uint8Array) {}
  take(n: number): Uint8Array {
    if (this.offset + n > this.data.length) throw new Fail('too_short')
    const out = this.data.subarray(this.offset, this.offset + n)
    this.offset += n
    return out
  }
  // u8 and u16 read in place: no subarray a field.
  u8(): number {
    if (this.offset + 1 > this.data.length) throw new Fail('too_short')
    return this.data[this.offset++] as number
  }
  u16(): number {
    if (this.offset + 2 > this.data.length) throw new Fail('too_short')
    const value = ((this.data[this.offset] as number) << 8) | (this.data[this.offset + 1] as number)
    this.offset += 2
    return value
  }
  u32(): number {
    const b = this.take(4)
    return (
      (((b[0] as number) << 24) |
        ((b[1] as number) << 16) |
        ((b[2] as number) << 8) |
        (b[3] as number)) >>>
      0
    )
  }
}

export function chordCodec(ring: Ring): Codec<ChordMessage, ChordDecodeError> {
  const writeId = (w: Writer, id: bigint): void => w.id(id, ring.idBytes)
  const shared = new Writer()
  const readId = (r: Reader): bigint => {
    const id = ring.fromBytes(r.take(ring.idBytes))
    if (id === undefined) throw new Fail('id_out_of_range')
    return id
  }
  const writeNode = (w: Writer, n: NodeRef): void => {
    writeId(w, n.id)
    const ip = hostBytes(n.address.host)
    if (ip === undefined) throw new RangeError(`not an IP literal: ${n.address.host}`)
    w.u8(ip.length === 4 ? 4 : 6)
    w.bytes(ip)
    w.u16(n.address.port)
  }
  const readNode = (r: Reader): NodeRef => {
    const id = readId(r)
    const family = r.u8()
    if (family !== 4 && family !== 6) throw new Fail('bad_address')
    const host = family === 4 ? readIpv4(r.take(4), 0) : readIpv6(r.take(16), 0)
    const port = r.u16()
    if (!isValidPort(port)) throw new Fail('bad_address')
    return { id, address: address(host, port) }
  }
  const writeNodes = (w: Writer, nodes: readonly NodeRef[]): void => {
    if (nodes.length > NODES_MAX) throw new RangeError(`${nodes.length} nodes > ${NODES_MAX}`)
    w.u8(nodes.length)
    for (const n of nodes) writeNode(w, n)
  }
  const readNodes = (r: Reader): NodeRef[] => {
    const count = r.u8()
    if (count > NODES_MAX) throw new Fail('too_many_nodes')
    const out: NodeRef[] = []
    for (let i = 0; i < count; i++) out.push(readNode(r))
    return out
  }
  const writeValue = (w: Writer, v: Uint8Array): void => {
    if (v.length > VALUE_BYTES_MAX) throw new RangeError(`value of ${v.length} bytes`)
    w.u16(v.length)
    w.bytes(v)
  }
  const readValue = (r: Reader): Uint8Array => {
    const length = r.u16()
    if (length > VALUE_BYTES_MAX) throw new Fail('value_too_long')
    return r.take(length).slice()
  }

  return {
    encode(m: ChordMessage): Uint8Array {
      const w = shared
      w.reset()
      w.u8(MAGIC)
      w.u8(CODE.get(m.type) as number)
      w.u32(m.tid)
      writeId(w, m.sender)
      switch (m.type) {
        case 'find_successor':
          writeId(w, m.target)
          break
        case 'found':
          writeNodes(w, m.successors)
          break
        case 'next':
          writeNodes(w, m.candidates)
          break
        case 'route':
          writeId(w, m.target)
          writeNode(w, m.origin)
          writeNodes(w, m.path)
          break
        case 'routed':
          writeNodes(w, m.successors)
          writeNodes(w, m.path)
          break
        case 'predecessor':
        case 'leaving':
          w.u8(m.predecessor === undefined ? 0 : 1)
          if (m.predecessor !== undefined) writeNode(w, m.predecessor)
          writeNodes(w, m.successors)
          break
        case 'store':
          writeId(w, m.key)
          writeValue(w, m.value)
          break
        case 'fetch':
        case 'remove':
          writeId(w, m.key)
          break
        case 'value':
          w.u8(m.value === undefined ? 0 : 1)
          if (m.value !== undefined) writeValue(w, m.value)
          break
        default:
          break
      }
      if (w.length > DATAGRAM_BYTES_MAX) {
        throw new RangeError(`a ${m.type} of ${w.length} bytes exceeds the datagram limit`)
      }
      return w.take()
    },

    decode(bytes: Uint8Array): Result<ChordMessage, ChordDecodeError> {
      if (bytes.length > DATAGRAM_BYTES_MAX) return err('too_long')
      const r = new Reader(bytes)
      try {
        if (r.u8() !== MAGIC) return err('bad_magic')
        const type = TYPES[r.u8() - 1]
        if (type === undefined) return err('unknown_type')
        const tid = r.u32()
        const sender = readId(r)
        const h = { tid, sender }
        let m: ChordMessage
        switch (type) {
          case 'find_successor':
            m = { type, ...h, target: readId(r) }
            break
          case 'found':
            m = { type, ...h, successors: readNodes(r) }
            break
          case 'next':
            m = { type, ...h, candidates: readNodes(r) }
            break
          case 'route': {
            const target = readId(r)
            const origin = readNode(r)
            m = { type, ...h, target, origin, path: readNodes(r) }
            break
          }
          case 'routed': {
            const successors = readNodes(r)
            m = { type, ...h, successors, path: readNodes(r) }
            break
          }
          case 'predecessor':
          case 'leaving': {
            const has = r.u8()
            if (has > 1) return err('bad_address')
            const predecessor = has === 1 ? readNode(r) : undefined
            const successors = readNodes(r)
            m =
              predecessor === undefined
                ? { type, ...h, successors }
                : { type, ...h, predecessor, successors }
            break
          }
          case 'store': {
            const key = readId(r)
            m = { type, ...h, key, value: readValue(r) }
            break
          }
          case 'fetch':
          case 'remove':
            m = { type, ...h, key: readId(r) }
            break
          case 'value': {
            const has = r.u8()
            if (has > 1) return err('too_long')
            m = has === 1 ? { type, ...h, value: readValue(r) } : { type, ...h }
            break
          }
          default:
            m = { type, ...h }
        }
        if (r.offset !== bytes.length) return err('trailing_bytes')
        return ok(m)
      } catch (e) {
        if (e instanceof Fail) return err(e.reason)
        throw e
      }
    },
  }
}

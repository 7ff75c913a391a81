import type { Address } from '../../core/address.js'
import type { Codec } from '../../core/core.js'
import type { Result } from '../../core/result.js'
import {
  ByteWriter,
  decodeDatagram,
  type WireDecodeError,
  type ByteReader,
} from '../overlay/byte-wire.js'
import { idFromBytes, type PastryId } from './id.js'
import type { PastryAction, PastryMessage, PastryRef } from './messages.js'

export const PASTRY_LIMITS = {
  refs: 64,
  avoid: 16,
  items: 32,
  keyBytes: 256,
  valueBytes: 1024,
  datagramBytes: 16_384,
} as const

export type PastryDecodeError = WireDecodeError

const TYPES = [
  'route',
  'route_reply',
  'announce',
  'ping',
  'pong',
  'data',
  'data_reply',
  'store',
] as const
const ACTIONS: readonly PastryAction[] = ['put', 'get', 'remove']

const writeId = (w: ByteWriter, id: PastryId): ByteWriter => w.hex(id)
const readId = (r: ByteReader): PastryId => idFromBytes(r.raw(16))
const writeRefs = (w: ByteWriter, refs: readonly PastryRef[]): void => {
  w.u8(refs.length)
  for (const ref of refs) writeId(w, ref.id).address(ref.address)
}
const readRefs = (r: ByteReader): PastryRef[] => {
  const n = r.count(PASTRY_LIMITS.refs)
  const out: PastryRef[] = []
  for (let i = 0; i < n; i++) out.push({ id: readId(r), address: r.address() })
  return out
}
/** One writer for every encode (encoding is synchronous and never nested). */
const shared = new ByteWriter()
export function encodePastry(m: PastryMessage): Uint8Array {
  const w = shared.reset().u8(TYPES.indexOf(m.type))
  switch (m.type) {
    case 'route':
      w.u32(m.tx)
      writeId(w, m.key)
        .u8(m.join ? 1 : 0)
        .u8(m.avoid.length)
      for (const a of m.avoid) w.address(a)
      break
    case 'route_reply':
      w.u32(m.tx).u8(m.status === 'owner' ? 0 : 1)
      writeId(w, m.node.id).address(m.node.address)
      writeRefs(w, m.row)
      writeRefs(w, m.leaves)
      writeRefs(w, m.near)
      break
    case 'announce':
      writeId(w, m.id)
      break
    case 'ping':
      writeId(w.u32(m.tx), m.id).u8(m.wantLeaves ? 1 : 0)
      break
    case 'pong':
      writeId(w.u32(m.tx), m.id)
      writeRefs(w, m.leaves)
      break
    case 'data':
      w.u32(m.tx)
        .u8(ACTIONS.indexOf(m.action))
        .bytes(m.key)
        .u8(m.value === undefined ? 0 : 1)
      if (m.value !== undefined) w.bytes(m.value)
      break
    case 'data_reply':
      w.u32(m.tx)
        .u8(m.status === 'ok' ? 0 : 1)
        .u8(m.value === undefined ? 0 : 1)
      if (m.value !== undefined) w.bytes(m.value)
      break
    case 'store':
      w.u8(m.replica ? 1 : 0).u8(m.items.length)
      for (const item of m.items) w.bytes(item.key).bytes(item.value)
      break
  }
  return w.finish()
}

function decodeBody(r: ByteReader): PastryMessage {
  const type = r.oneOf(TYPES)
  switch (type) {
    case 'route': {
      const tx = r.u32()
      const key = readId(r)
      const join = r.flag()
      const n = r.count(PASTRY_LIMITS.avoid)
      const avoid: Address[] = []
      for (let i = 0; i < n; i++) avoid.push(r.address())
      return { type, tx, key, join, avoid }
    }
    case 'route_reply': {
      const tx = r.u32()
      const status = r.flag() ? ('next' as const) : ('owner' as const)
      const node = { id: readId(r), address: r.address() }
      return { type, tx, status, node, row: readRefs(r), leaves: readRefs(r), near: readRefs(r) }
    }
    case 'announce':
      return { type, id: readId(r) }
    case 'ping':
      return { type, tx: r.u32(), id: readId(r), wantLeaves: r.flag() }
    case 'pong':
      return { type, tx: r.u32(), id: readId(r), leaves: readRefs(r) }
    case 'data': {
      const tx = r.u32()
      const action = r.oneOf(ACTIONS)
      const key = r.bytes(PASTRY_LIMITS.keyBytes)
      return r.flag()
        ? { type, tx, action, key, value: r.bytes(PASTRY_LIMITS.valueBytes) }
        : { type, tx, action, key }
    }
    case 'data_reply': {
      const tx = r.u32()
      const status = r.flag() ? ('not_found' as const) : ('ok' as const)
      return r.flag()
        ? { type, tx, status, value: r.bytes(PASTRY_LIMITS.valueBytes) }
        : { type, tx, status }
    }
    case 'store': {
      const replica = r.flag()
      const n = r.count(PASTRY_LIMITS.items)
      const items = []
      for (let i = 0; i < n; i++) {
        items.push({
          key: r.bytes(PASTRY_LIMITS.keyBytes),
          value: r.bytes(PASTRY_LIMITS.valueBytes),
        })
      }
      return { type, replica, items }
    }
  }
}

export function decodePastry(bytes: Uint8Array): Result<PastryMessage, PastryDecodeError> {
  return decodeDatagram(bytes, PASTRY_LIMITS.datagramBytes, decodeBody)
}

export const pastryCodec: Codec<PastryMessage, PastryDecodeError> = {
  encode: encodePastry,
  decode: decodePastry,
}

import type { Address } from '../../core/address.js'
import { utf8 } from '../../core/bytes.js'
import type { Codec } from '../../core/core.js'
import type { Result } from '../../core/result.js'
import {
  ByteWriter,
  WireFault,
  decodeDatagram,
  type WireDecodeError,
  type ByteReader,
} from '../overlay/byte-wire.js'
import type { CanItem, CanMessage, CanNodeInfo, DataAction, HandoffKind } from './messages.js'
import type { Point, ZonePath } from './zone.js'

/** Bounds on what one datagram may carry; anything larger is a fault, not an allocation. */
export const CAN_LIMITS = {
  dims: 8,
  avoid: 16,
  zoneDepth: 256,
  zonesPerNode: 16,
  neighbours: 64,
  items: 32,
  keyBytes: 256,
  valueBytes: 1024,
  idChars: 64,
  datagramBytes: 60_000,
} as const

export type CanDecodeError = WireDecodeError

const TYPES = [
  'route',
  'route_reply',
  'data',
  'data_reply',
  'join',
  'join_reply',
  'update',
  'give',
  'give_reply',
  'handoff',
] as const
const ROUTE_STATUS = ['owner', 'next', 'none'] as const
const DATA_STATUS = ['ok', 'not_found', 'not_owner'] as const
const ACTIONS: readonly DataAction[] = ['put', 'get', 'remove']
const HANDOFFS: readonly HandoffKind[] = ['primary', 'replica', 'unreplicate']
const SCALE = 2 ** 32

const writePoint = (w: ByteWriter, p: Point): void => {
  w.u8(p.length)
  for (const x of p) w.u32(Math.min(SCALE - 1, Math.floor(x * SCALE)))
}
const readPoint = (r: ByteReader): Point => {
  const n = r.count(CAN_LIMITS.dims)
  if (n === 0) throw new WireFault('empty_point')
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push(r.u32() / SCALE)
  return out
}

const writeZone = (w: ByteWriter, z: ZonePath): void => {
  w.u16(z.length)
  for (let i = 0; i < z.length; i += 8) {
    let byte = 0
    for (let j = 0; j < 8 && i + j < z.length; j++) if (z[i + j] === '1') byte |= 0x80 >> j
    w.u8(byte)
  }
}
const readZone = (r: ByteReader): ZonePath => {
  const length = r.u16()
  if (length > CAN_LIMITS.zoneDepth) throw new WireFault('zone_too_deep')
  let path = ''
  for (let i = 0; i < length; i += 8) {
    const byte = r.u8()
    for (let j = 0; j < 8 && i + j < length; j++) path += byte & (0x80 >> j) ? '1' : '0'
  }
  return path
}

const writeZones = (w: ByteWriter, zones: readonly ZonePath[]): void => {
  w.u8(zones.length)
  for (const z of zones) writeZone(w, z)
}
const readZones = (r: ByteReader): ZonePath[] => {
  const n = r.count(CAN_LIMITS.zonesPerNode)
  const out: ZonePath[] = []
  for (let i = 0; i < n; i++) out.push(readZone(r))
  return out
}

/**
 * Each info's encoding, kept with the (immutable, shared) info object: every update carries
 * the sender's neighbour list, and encoding each info again (its id through UTF-8) was a
 * sixth of a 10,000-node run at d = 4.
 */
const encodedInfos = new WeakMap<CanNodeInfo, Uint8Array>()
const writeInfo = (w: ByteWriter, n: CanNodeInfo): void => {
  let bytes = encodedInfos.get(n)
  if (bytes === undefined) {
    const own = new ByteWriter().address(n.address).text(n.id)
    writeZones(own, n.zones)
    bytes = own.finish()
    encodedInfos.set(n, bytes)
  }
  w.raw(bytes)
}
/**
 * Decoded node infos, one object per distinct encoding (address, id, zones): every update
 * carries the sender's neighbour list, and each receiver keeps it (for takeover), so without
 * this a large network held a fresh copy of each node's info in every list that names it
 * (about 20 KiB a node at d = 4). The objects are immutable, so sharing them changes nothing
 * else. The key is the info's bytes, found by skipping over the length fields: a known info
 * is not decoded again (decoding was another sixth of the run); a new one is read in full,
 * with every check.
 */
const infos = new Map<string, CanNodeInfo>()
const skipInfo = (r: ByteReader): void => {
  const family = r.u8()
  r.skip((family === 6 ? 16 : 4) + 2)
  r.skip(r.u16())
  const zones = r.u8()
  for (let i = 0; i < zones; i++) r.skip(Math.ceil(r.u16() / 8))
}
const readInfo = (r: ByteReader): CanNodeInfo => {
  const start = r.position
  skipInfo(r)
  const key = r.since(start)
  const known = infos.get(key)
  if (known !== undefined) return known
  r.rewind(start)
  const address = r.address()
  const id = r.text(CAN_LIMITS.idChars)
  const zones = readZones(r)
  if (infos.size >= 1 << 18) infos.clear()
  const info = { address, id, zones }
  infos.set(key, info)
  return info
}
const writeInfos = (w: ByteWriter, list: readonly CanNodeInfo[]): void => {
  w.u8(list.length)
  for (const n of list) writeInfo(w, n)
}
const readInfos = (r: ByteReader): CanNodeInfo[] => {
  const n = r.count(CAN_LIMITS.neighbours)
  const out: CanNodeInfo[] = []
  for (let i = 0; i < n; i++) out.push(readInfo(r))
  return out
}

/**
 * One writer for every message (encodes do not nest; `finish` copies out): a new writer's
 * 256-byte buffer a message was 5 % of a 10,000-node run at d = 4.
 */
const shared = new ByteWriter()
/**
 * Node ids as UTF-8, memoised: each update carries its sender's id, and the same few ids go
 * out again every heartbeat (encoding them was 3 % of the run).
 */
const idBytes = new Map<string, Uint8Array>()
const writeId = (w: ByteWriter, id: string): void => {
  let bytes = idBytes.get(id)
  if (bytes === undefined) {
    if (idBytes.size >= 1 << 18) idBytes.clear()
    bytes = utf8(id)
    idBytes.set(id, bytes)
  }
  w.bytes(bytes)
}

export function encodeCan(m: CanMessage): Uint8Array {
  const w = shared.reset().u8(TYPES.indexOf(m.type))
  switch (m.type) {
    case 'route':
      w.u32(m.tx)
      writePoint(w, m.point)
      w.u8(m.avoid.length)
      for (const a of m.avoid) w.address(a)
      break
    case 'route_reply':
      w.u32(m.tx)
        .u8(ROUTE_STATUS.indexOf(m.status))
        .u8(m.node === undefined ? 0 : 1)
      if (m.node !== undefined) writeInfo(w, m.node)
      break
    case 'data':
      w.u32(m.tx)
        .u8(ACTIONS.indexOf(m.action))
        .bytes(m.key)
        .u8(m.value === undefined ? 0 : 1)
      if (m.value !== undefined) w.bytes(m.value)
      break
    case 'data_reply':
      w.u32(m.tx).u8(DATA_STATUS.indexOf(m.status)).u8(m.stored)
      w.u8(m.value === undefined ? 0 : 1)
      if (m.value !== undefined) w.bytes(m.value)
      break
    case 'join':
      w.u32(m.tx).text(m.id)
      writePoint(w, m.point)
      w.u8(m.redirected ? 1 : 0)
      break
    case 'join_reply':
      w.u32(m.tx).u8(m.accepted ? 1 : 0)
      writeZones(w, m.zones)
      writeInfos(w, m.neighbours)
      w.u8(m.redirect === undefined ? 0 : 1)
      if (m.redirect !== undefined) writeInfo(w, m.redirect)
      break
    case 'update':
      writeId(w, m.id)
      writeZones(w, m.zones)
      writeInfos(w, m.neighbours)
      break
    case 'give':
      w.u32(m.tx)
        .text(m.id)
        .u8(m.merge ? 1 : 0)
      writeZone(w, m.zone)
      break
    case 'give_reply':
      w.u32(m.tx).u8(m.accepted ? 1 : 0)
      break
    case 'handoff':
      w.u8(HANDOFFS.indexOf(m.kind)).u8(m.items.length)
      for (const item of m.items) w.bytes(item.key).bytes(item.value)
      break
  }
  return w.finish()
}

function decodeBody(r: ByteReader): CanMessage {
  const type = r.oneOf(TYPES)
  switch (type) {
    case 'route': {
      const tx = r.u32()
      const point = readPoint(r)
      const n = r.count(CAN_LIMITS.avoid)
      const avoid: Address[] = []
      for (let i = 0; i < n; i++) avoid.push(r.address())
      return { type, tx, point, avoid }
    }
    case 'route_reply': {
      const tx = r.u32()
      const status = r.oneOf(ROUTE_STATUS)
      return r.flag() ? { type, tx, status, node: readInfo(r) } : { type, tx, status }
    }
    case 'data': {
      const tx = r.u32()
      const action = r.oneOf(ACTIONS)
      const key = r.bytes(CAN_LIMITS.keyBytes)
      return r.flag()
        ? { type, tx, action, key, value: r.bytes(CAN_LIMITS.valueBytes) }
        : { type, tx, action, key }
    }
    case 'data_reply': {
      const tx = r.u32()
      const status = r.oneOf(DATA_STATUS)
      const stored = r.u8()
      return r.flag()
        ? { type, tx, status, stored, value: r.bytes(CAN_LIMITS.valueBytes) }
        : { type, tx, status, stored }
    }
    case 'join':
      return {
        type,
        tx: r.u32(),
        id: r.text(CAN_LIMITS.idChars),
        point: readPoint(r),
        redirected: r.flag(),
      }
    case 'join_reply': {
      const tx = r.u32()
      const accepted = r.flag()
      const zones = readZones(r)
      const neighbours = readInfos(r)
      return r.flag()
        ? { type, tx, accepted, zones, neighbours, redirect: readInfo(r) }
        : { type, tx, accepted, zones, neighbours }
    }
    case 'update':
      return { type, id: r.text(CAN_LIMITS.idChars), zones: readZones(r), neighbours: readInfos(r) }
    case 'give':
      return {
        type,
        tx: r.u32(),
        id: r.text(CAN_LIMITS.idChars),
        merge: r.flag(),
        zone: readZone(r),
      }
    case 'give_reply':
      return { type, tx: r.u32(), accepted: r.flag() }
    case 'handoff': {
      const kind = r.oneOf(HANDOFFS)
      const n = r.count(CAN_LIMITS.items)
      const items: CanItem[] = []
      for (let i = 0; i < n; i++) {
        items.push({ key: r.bytes(CAN_LIMITS.keyBytes), value: r.bytes(CAN_LIMITS.valueBytes) })
      }
      return { type, kind, items }
    }
  }
}

export function decodeCan(bytes: Uint8Array): Result<CanMessage, CanDecodeError> {
  return decodeDatagram(bytes, CAN_LIMITS.datagramBytes, decodeBody)
}

export const canCodec: Codec<CanMessage, CanDecodeError> = { encode: encodeCan, decode: decodeCan }

/**
 * Payload encoders and decoders, one pair per descriptor (GDF 0.6 section 2.2). Decoders take
 * the exact payload bytes (the header already framed them) and return a `Payload` or a short
 * reason; they never throw.
 */
import { fromUtf8, utf8 } from '../../core/bytes.js'
import { err, ok, type Result } from '../../core/result.js'
import { decodeExtensions, encodeExtensions } from './extensions.js'
import { decodeGgep, encodeGgep, GGEP_MAGIC } from './ggep.js'
import type { GgepExtension, Payload, QueryHitResult, QueryHitTrailer } from './messages.js'
import { decodeRouteTableUpdate, encodeRouteTableUpdate } from './qrp/route-table-update.js'
import { decodeVendor, encodeVendor } from './vendor-message.js'
import { ByteReader, ByteWriter } from './wire.js'

export const SERVENT_ID_BYTES = 16
/** A QueryHit's hit count is one byte; a criteria string longer than this is abuse. */
export const QUERY_CRITERIA_BYTES_MAX = 4096

type Decoded = Result<Payload, string>

function optionalGgep(rest: Uint8Array): Result<GgepExtension[], string> {
  if (rest.length === 0) return ok([])
  if (rest[0] !== GGEP_MAGIC) return err('trailing bytes are not GGEP')
  const block = decodeGgep(rest)
  if (!block.ok) return block
  return block.value.consumed === rest.length ? ok(block.value.extensions) : err('bytes after GGEP')
}

function decodePing(payload: Uint8Array): Decoded {
  const ggep = optionalGgep(payload)
  return ggep.ok ? ok({ type: 'ping', ggep: ggep.value }) : ggep
}

function decodePong(payload: Uint8Array): Decoded {
  const r = new ByteReader(payload)
  const port = r.u16le()
  const ip = r.ipv4()
  const filesShared = r.u32le()
  const kilobytesShared = r.u32le()
  if (port === undefined || ip === undefined || kilobytesShared === undefined) {
    return err('Pong shorter than 14 bytes')
  }
  const ggep = optionalGgep(r.rest())
  if (!ggep.ok) return ggep
  return ok({
    type: 'pong',
    port,
    ip,
    filesShared: filesShared as number,
    kilobytesShared,
    ggep: ggep.value,
  })
}

function decodeBye(payload: Uint8Array): Decoded {
  const r = new ByteReader(payload)
  const code = r.u16le()
  if (code === undefined) return err('Bye shorter than 2 bytes')
  const rest = r.rest()
  const end = rest.indexOf(0)
  return ok({ type: 'bye', code, reason: fromUtf8(end < 0 ? rest : rest.subarray(0, end)) })
}

function decodePush(payload: Uint8Array): Decoded {
  const r = new ByteReader(payload)
  const serventId = r.take(SERVENT_ID_BYTES)
  const fileIndex = r.u32le()
  const ip = r.ipv4()
  const port = r.u16le()
  if (serventId === undefined || fileIndex === undefined || ip === undefined) {
    return err('Push shorter than 26 bytes')
  }
  if (port === undefined) return err('Push shorter than 26 bytes')
  const ggep = optionalGgep(r.rest())
  if (!ggep.ok) return ggep
  return ok({ type: 'push', serventId: serventId.slice(), fileIndex, ip, port, ggep: ggep.value })
}

function decodeQuery(payload: Uint8Array): Decoded {
  const r = new ByteReader(payload)
  const minSpeed = r.u16le()
  if (minSpeed === undefined) return err('Query shorter than 3 bytes')
  const criteria = r.untilNul()
  if (criteria === undefined) return err('Query criteria not NUL-terminated')
  if (criteria.length > QUERY_CRITERIA_BYTES_MAX) return err('Query criteria too long')
  const extensions = decodeExtensions(r.rest())
  if (!extensions.ok) return extensions
  return ok({ type: 'query', minSpeed, criteria: fromUtf8(criteria), ...extensions.value })
}

function decodeResult(r: ByteReader): Result<QueryHitResult, string> {
  const fileIndex = r.u32le()
  const fileSize = r.u32le()
  const name = r.untilNul()
  if (fileIndex === undefined || fileSize === undefined || name === undefined) {
    return err('QueryHit result truncated')
  }
  const area = r.untilNul()
  if (area === undefined) return err('QueryHit result not double-NUL-terminated')
  const extensions = decodeExtensions(area)
  if (!extensions.ok) return extensions
  return ok({ fileIndex, fileSize, fileName: fromUtf8(name), ...extensions.value })
}

function decodeTrailer(bytes: Uint8Array): Result<QueryHitTrailer | undefined, string> {
  if (bytes.length === 0) return ok(undefined)
  const r = new ByteReader(bytes)
  const vendor = r.take(4)
  const openSize = r.u8()
  if (vendor === undefined || openSize === undefined) return err('QueryHit trailer truncated')
  const openData = r.take(openSize)
  if (openData === undefined) return err('QueryHit open data truncated')
  return ok({ vendorCode: fromUtf8(vendor), openData, privateData: r.rest() })
}

function decodeQueryHit(payload: Uint8Array): Decoded {
  if (payload.length < 11 + SERVENT_ID_BYTES) return err('QueryHit shorter than 27 bytes')
  const body = new ByteReader(payload.subarray(0, payload.length - SERVENT_ID_BYTES))
  const serventId = payload.slice(payload.length - SERVENT_ID_BYTES)
  const count = body.u8() as number
  const port = body.u16le() as number
  const ip = body.ipv4() as string
  const speed = body.u32le() as number
  const results: QueryHitResult[] = []
  for (let i = 0; i < count; i++) {
    const result = decodeResult(body)
    if (!result.ok) return result
    results.push(result.value)
  }
  const trailer = decodeTrailer(body.rest())
  if (!trailer.ok) return trailer
  return ok({ type: 'query_hit', port, ip, speed, results, trailer: trailer.value, serventId })
}

export function decodePayload(functionId: number, payload: Uint8Array): Decoded {
  switch (functionId) {
    case 0x00:
      return decodePing(payload)
    case 0x01:
      return decodePong(payload)
    case 0x02:
      return decodeBye(payload)
    case 0x30: {
      const update = decodeRouteTableUpdate(payload)
      return update.ok ? ok({ type: 'route_table_update', update: update.value }) : update
    }
    case 0x31:
      return decodeVendor(payload)
    case 0x40:
      return decodePush(payload)
    case 0x80:
      return decodeQuery(payload)
    case 0x81:
      return decodeQueryHit(payload)
    default:
      return err(`unknown payload descriptor 0x${functionId.toString(16)}`)
  }
}

function encodeResult(w: ByteWriter, result: QueryHitResult): void {
  w.u32le(result.fileIndex).u32le(result.fileSize).bytes(utf8(result.fileName)).u8(0)
  w.bytes(encodeExtensions(result)).u8(0)
}

export function encodePayload(payload: Payload): Uint8Array {
  const w = new ByteWriter()
  switch (payload.type) {
    case 'ping':
      return encodeGgep(payload.ggep)
    case 'pong':
      w.u16le(payload.port).ipv4(payload.ip).u32le(payload.filesShared)
      return w.u32le(payload.kilobytesShared).bytes(encodeGgep(payload.ggep)).finish()
    case 'bye':
      return w.u16le(payload.code).bytes(utf8(payload.reason)).u8(0).finish()
    case 'push':
      w.bytes(payload.serventId).u32le(payload.fileIndex).ipv4(payload.ip).u16le(payload.port)
      return w.bytes(encodeGgep(payload.ggep)).finish()
    case 'query':
      w.u16le(payload.minSpeed).bytes(utf8(payload.criteria)).u8(0)
      return w.bytes(encodeExtensions(payload)).finish()
    case 'query_hit': {
      w.u8(payload.results.length).u16le(payload.port).ipv4(payload.ip).u32le(payload.speed)
      for (const result of payload.results) encodeResult(w, result)
      const t = payload.trailer
      if (t !== undefined) {
        w.bytes(utf8(t.vendorCode.padEnd(4, ' ').slice(0, 4))).u8(t.openData.length)
        w.bytes(t.openData).bytes(t.privateData)
      }
      return w.bytes(payload.serventId).finish()
    }
    case 'route_table_update':
      return encodeRouteTableUpdate(payload.update)
    case 'vendor':
      return encodeVendor(payload)
  }
}

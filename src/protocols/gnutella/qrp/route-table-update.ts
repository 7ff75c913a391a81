/**
 * The ROUTE_TABLE_UPDATE descriptor (function 0x30) of Query Routing v1.0 (Rohrs 2002), section
 * 4: a variant byte, then either RESET (table length u32 little-endian, infinity u8) or PATCH
 * (sequence number, sequence size, compressor 0 = none / 1 = zlib, entry bits, data). Decoding
 * checks every field against the spec's ranges and our limits and never throws.
 */
import { err, ok, type Result } from '../../../core/result.js'
import { ByteReader, ByteWriter } from '../wire.js'

export const QRP_RESET = 0x00
export const QRP_PATCH = 0x01
export const COMPRESSOR_NONE = 0x00
export const COMPRESSOR_ZLIB = 0x01
/** The largest table we agree to hold (2 Mi slots, the largest seen in the wild). */
export const QRP_TABLE_LENGTH_MAX = 1 << 21
export const QRP_TABLE_LENGTH_MIN = 64

export type RouteTableUpdate =
  | { readonly variant: 'reset'; readonly tableLength: number; readonly infinity: number }
  | {
      readonly variant: 'patch'
      readonly seqNo: number
      readonly seqSize: number
      readonly compressor: number
      readonly entryBits: number
      readonly data: Uint8Array
    }

const ENTRY_BITS = new Set([1, 2, 4, 8])

export function decodeRouteTableUpdate(payload: Uint8Array): Result<RouteTableUpdate, string> {
  const r = new ByteReader(payload)
  const variant = r.u8()
  if (variant === QRP_RESET) {
    const tableLength = r.u32le()
    const infinity = r.u8()
    if (tableLength === undefined || infinity === undefined || r.remaining !== 0) {
      return err('RESET is 6 bytes')
    }
    if (tableLength < QRP_TABLE_LENGTH_MIN || tableLength > QRP_TABLE_LENGTH_MAX) {
      return err(`RESET table length ${tableLength} out of range`)
    }
    if ((tableLength & (tableLength - 1)) !== 0) return err('RESET table length not a power of 2')
    if (infinity < 1 || infinity > 127) return err(`RESET infinity ${infinity} out of range`)
    return ok({ variant: 'reset', tableLength, infinity })
  }
  if (variant === QRP_PATCH) {
    const seqNo = r.u8()
    const seqSize = r.u8()
    const compressor = r.u8()
    const entryBits = r.u8()
    if (entryBits === undefined || seqNo === undefined || seqSize === undefined) {
      return err('PATCH header is 5 bytes')
    }
    if (seqNo < 1 || seqSize < 1 || seqNo > seqSize) return err('PATCH sequence out of range')
    if (compressor !== COMPRESSOR_NONE && compressor !== COMPRESSOR_ZLIB) {
      return err(`PATCH compressor ${compressor} unknown`)
    }
    if (!ENTRY_BITS.has(entryBits)) return err(`PATCH entry bits ${entryBits} unsupported`)
    return ok({ variant: 'patch', seqNo, seqSize, compressor, entryBits, data: r.rest() })
  }
  return err(`ROUTE_TABLE_UPDATE variant ${variant ?? 'missing'} unknown`)
}

export function encodeRouteTableUpdate(update: RouteTableUpdate): Uint8Array {
  const w = new ByteWriter()
  if (update.variant === 'reset') {
    return w.u8(QRP_RESET).u32le(update.tableLength).u8(update.infinity).finish()
  }
  return w
    .u8(QRP_PATCH)
    .u8(update.seqNo)
    .u8(update.seqSize)
    .u8(update.compressor)
    .u8(update.entryBits)
    .bytes(update.data)
    .finish()
}

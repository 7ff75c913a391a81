/**
 * QRP RESET/PATCH sequences (QRP v1.0 section 4). A patch carries, for every slot, the signed
 * difference new - old: two 4-bit entries per byte (first slot in the high nibble) or one 8-bit
 * entry per byte; the whole patch may be zlib-compressed and is then cut into messages of at
 * most `patchBytesPerMessage`. `PatchReceiver` rebuilds a peer's table from such messages and
 * refuses, as values, everything a hostile peer could try: patches before a RESET, sequence
 * numbers out of order, more bytes than the table holds, bombs, entries out of range.
 */
import { err, ok, type Result } from '../../../core/result.js'
import type { QrpCompression } from './compression.js'
import {
  COMPRESSOR_NONE,
  COMPRESSOR_ZLIB,
  QRP_TABLE_LENGTH_MAX,
  type RouteTableUpdate,
} from './route-table-update.js'
import { QueryRoutingTable } from './table.js'

export const PATCH_BYTES_PER_MESSAGE_DEFAULT = 4096

/** The RESET then PATCH messages that turn `previous` (or an empty table) into `next`. */
export function tableUpdates(
  next: QueryRoutingTable,
  options: { compression?: QrpCompression | undefined; patchBytesPerMessage?: number } = {},
): RouteTableUpdate[] {
  const deltas = new Int16Array(next.length)
  let fitsFour = true
  for (let i = 0; i < next.length; i++) {
    const delta = (next.entries[i] as number) - next.infinity
    deltas[i] = delta
    if (delta < -8 || delta > 7) fitsFour = false
  }
  const entryBits = fitsFour ? 4 : 8
  const raw = packDeltas(deltas, entryBits)
  const compression = options.compression
  const data = compression === undefined ? raw : compression.deflate(raw)
  const compressor = compression === undefined ? COMPRESSOR_NONE : COMPRESSOR_ZLIB
  const per = options.patchBytesPerMessage ?? PATCH_BYTES_PER_MESSAGE_DEFAULT
  const seqSize = Math.max(1, Math.ceil(data.length / per))
  const updates: RouteTableUpdate[] = [
    { variant: 'reset', tableLength: next.length, infinity: next.infinity },
  ]
  for (let seqNo = 1; seqNo <= seqSize; seqNo++) {
    const chunk = data.subarray((seqNo - 1) * per, seqNo * per)
    updates.push({ variant: 'patch', seqNo, seqSize, compressor, entryBits, data: chunk })
  }
  return updates
}

export function packDeltas(deltas: Int16Array, entryBits: number): Uint8Array {
  if (entryBits === 8) return Uint8Array.from(deltas, (d) => d & 0xff)
  const out = new Uint8Array(Math.ceil(deltas.length / 2))
  for (let i = 0; i < deltas.length; i += 2) {
    out[i >>> 1] = (((deltas[i] as number) & 0x0f) << 4) | ((deltas[i + 1] ?? 0) & 0x0f)
  }
  return out
}

/** Signed entries from packed bytes (4 or 8 bits; 1 and 2 bits are accepted too). */
function unpackDelta(data: Uint8Array, index: number, entryBits: number): number {
  const perByte = 8 / entryBits
  const byte = data[Math.floor(index / perByte)] as number
  const shift = 8 - entryBits * ((index % perByte) + 1)
  const value = (byte >>> shift) & ((1 << entryBits) - 1)
  const sign = 1 << (entryBits - 1)
  return value >= sign ? value - (1 << entryBits) : value
}

export type PatchFault =
  | 'patch_before_reset'
  | 'sequence_out_of_order'
  | 'patch_too_large'
  | 'compression_unsupported'
  | 'inflate_failed'
  | 'patch_size_mismatch'
  | 'entry_out_of_range'

interface Pending {
  readonly seqSize: number
  readonly compressor: number
  readonly entryBits: number
  readonly chunks: Uint8Array[]
  nextSeqNo: number
  bytes: number
}

/** One peer's table as we rebuild it from its RESET/PATCH messages. */
export class PatchReceiver {
  private table: QueryRoutingTable | undefined
  private pending: Pending | undefined

  constructor(private readonly compression: QrpCompression | undefined) {}

  /** The table after the last complete patch (undefined before a RESET). */
  get current(): QueryRoutingTable | undefined {
    return this.table
  }

  /** Applies one message; `true` when it completed a patch (the table changed). */
  receive(update: RouteTableUpdate): Result<boolean, PatchFault> {
    if (update.variant === 'reset') {
      this.table = new QueryRoutingTable(update.tableLength, update.infinity)
      this.pending = undefined
      return ok(false)
    }
    const table = this.table
    if (table === undefined) return err('patch_before_reset')
    if (update.seqNo === 1) {
      this.pending = {
        seqSize: update.seqSize,
        compressor: update.compressor,
        entryBits: update.entryBits,
        chunks: [],
        nextSeqNo: 1,
        bytes: 0,
      }
    }
    const p = this.pending
    if (p === undefined || update.seqNo !== p.nextSeqNo || update.seqSize !== p.seqSize) {
      this.pending = undefined
      return err('sequence_out_of_order')
    }
    if (update.compressor !== p.compressor || update.entryBits !== p.entryBits) {
      this.pending = undefined
      return err('sequence_out_of_order')
    }
    p.bytes += update.data.length
    // Even compressed, a patch is never much larger than the raw table at 8 bits a slot.
    if (p.bytes > table.length + 1024 || p.bytes > QRP_TABLE_LENGTH_MAX) {
      this.pending = undefined
      return err('patch_too_large')
    }
    p.chunks.push(update.data)
    p.nextSeqNo++
    if (update.seqNo < p.seqSize) return ok(false)
    this.pending = undefined
    return this.apply(table, p)
  }

  private apply(table: QueryRoutingTable, p: Pending): Result<boolean, PatchFault> {
    const joined = new Uint8Array(p.bytes)
    let at = 0
    for (const chunk of p.chunks) {
      joined.set(chunk, at)
      at += chunk.length
    }
    const rawBytes = Math.ceil((table.length * p.entryBits) / 8)
    let raw: Uint8Array = joined
    if (p.compressor === COMPRESSOR_ZLIB) {
      if (this.compression === undefined) return err('compression_unsupported')
      const inflated = this.compression.inflate(joined, rawBytes)
      if (!inflated.ok)
        return err(inflated.error === 'too_large' ? 'patch_too_large' : 'inflate_failed')
      raw = inflated.value
    }
    if (raw.length !== rawBytes) return err('patch_size_mismatch')
    const next = new Uint8Array(table.length)
    for (let i = 0; i < table.length; i++) {
      const value = (table.entries[i] as number) + unpackDelta(raw, i, p.entryBits)
      if (value < 0 || value > 127) return err('entry_out_of_range')
      next[i] = value
    }
    table.entries.set(next)
    return ok(true)
  }
}

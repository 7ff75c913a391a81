/**
 * GGEP 0.51 blocks: magic 0xC3, then extensions. Each extension has a flags byte (bit 7: last
 * extension; bit 6: COBS-encoded; bit 5: deflated; bit 4: reserved, zero; bits 0-3: id length
 * 1-15), the id, a data length in 1-3 bytes of 6 bits each (most significant first; 0x80 marks
 * "more follows", 0x40 marks the last byte), and the data. Decoding never throws.
 */
import type { QrpCompression } from './qrp/compression.js'
import { fromUtf8, utf8 } from '../../core/bytes.js'
import { err, ok, type Result } from '../../core/result.js'
import { ggepValue } from './ggep-data.js'
import type { GgepExtension } from './messages.js'

export const GGEP_MAGIC = 0xc3
/** A hostile block cannot make us hold more than this many extensions. */
export const GGEP_EXTENSIONS_MAX = 32
const DATA_BYTES_MAX = 0x3ffff

export interface GgepBlock {
  readonly extensions: GgepExtension[]
  /** Bytes the block occupied, magic included. */
  readonly consumed: number
}

/** Decodes the GGEP block at `offset` (which must hold the magic byte). */
export function decodeGgep(bytes: Uint8Array, offset = 0): Result<GgepBlock, string> {
  if (bytes[offset] !== GGEP_MAGIC) return err('GGEP block without magic')
  let at = offset + 1
  const extensions: GgepExtension[] = []
  for (;;) {
    if (extensions.length >= GGEP_EXTENSIONS_MAX) return err('too many GGEP extensions')
    const flags = bytes[at++]
    if (flags === undefined) return err('GGEP block ends in a header')
    const idLength = flags & 0x0f
    if (idLength === 0 || (flags & 0x10) !== 0) return err('bad GGEP flags')
    const id = bytes.subarray(at, at + idLength)
    if (id.length < idLength || id.includes(0)) return err('bad GGEP id')
    at += idLength
    let length = 0
    let lengthBytes = 0
    for (;;) {
      const b = bytes[at++]
      if (b === undefined || lengthBytes === 3) return err('bad GGEP data length')
      lengthBytes++
      const marks = b & 0xc0
      if (marks === 0 || marks === 0xc0) return err('bad GGEP data length')
      length = (length << 6) | (b & 0x3f)
      if (marks === 0x40) break
    }
    const data = bytes.subarray(at, at + length)
    if (data.length < length) return err('GGEP data runs past the payload')
    at += length
    extensions.push({
      id: fromUtf8(id),
      data,
      encoded: (flags & 0x40) !== 0,
      compressed: (flags & 0x20) !== 0,
    })
    if ((flags & 0x80) !== 0) return ok({ extensions, consumed: at - offset })
  }
}

function encodeLength(length: number): number[] {
  if (length < 0x40) return [0x40 | length]
  if (length < 0x1000) return [0x80 | (length >>> 6), 0x40 | (length & 0x3f)]
  return [0x80 | (length >>> 12), 0x80 | ((length >>> 6) & 0x3f), 0x40 | (length & 0x3f)]
}

/** Encodes a block; an empty list encodes to no bytes at all (GGEP needs one extension). */
export function encodeGgep(extensions: readonly GgepExtension[]): Uint8Array {
  if (extensions.length === 0) return new Uint8Array(0)
  const out: number[] = [GGEP_MAGIC]
  extensions.forEach((extension, index) => {
    const id = utf8(extension.id)
    if (id.length < 1 || id.length > 15 || extension.data.length > DATA_BYTES_MAX) {
      throw new RangeError(`GGEP extension '${extension.id}' cannot be encoded`)
    }
    let flags = id.length
    if (index === extensions.length - 1) flags |= 0x80
    if (extension.encoded) flags |= 0x40
    if (extension.compressed) flags |= 0x20
    out.push(flags, ...id, ...encodeLength(extension.data.length))
    for (const b of extension.data) out.push(b)
  })
  return Uint8Array.from(out)
}

/** GGEP "H" (hash): first byte 0x01 means SHA-1, followed by its 20 bytes. */
export const GGEP_HASH_SHA1 = 0x01

/**
 * The SHA-1s of "H" extensions; a COBS-encoded one is read, a deflated one with `compression`
 * (skipped without it).
 */
export function ggepSha1(
  extensions: readonly GgepExtension[],
  compression?: QrpCompression,
): Uint8Array[] {
  const out: Uint8Array[] = []
  for (const e of extensions) {
    if (e.id !== 'H') continue
    const value = ggepValue(e, compression)
    if (!value.ok) continue
    const data = value.value
    if (data[0] === GGEP_HASH_SHA1 && data.length >= 21) out.push(data.subarray(1, 21))
  }
  return out
}

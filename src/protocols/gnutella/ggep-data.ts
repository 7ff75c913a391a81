/**
 * GGEP extension values with the block's two encodings (GGEP v0.51): COBS (flag 0x40), which
 * leaves no 0x00 byte in the data, and deflate (flag 0x20). When both are set the value is
 * deflated first and the deflated bytes are COBS-encoded; reading undoes COBS, then inflates.
 * The block codec (ggep.ts) keeps the wire bytes and flags as they were; this turns them into
 * the value and back.
 *
 * COBS is LimeWire's COBSUtil variant (its test's vectors are pinned in ggep-data.test.ts):
 * the data is split at each 0x00; each run is sent as a code byte (run length + 1) and the run;
 * a run of 254 non-zero bytes is code 0xFF with no implied zero; the last run is always
 * written, so n zeros encode as n + 1 bytes 0x01 and 254 non-zero bytes as 0xFF, the bytes,
 * 0x01. Decoding also takes the shorter form without that final 0x01.
 *
 * Deflate needs zlib, which sans-IO code may not import: it goes through the same port as
 * QRP's patches (qrp/compression.ts). Without one, a deflated value cannot be read (an error,
 * never a guess) and values are sent uncompressed.
 */
import { err, ok, type Result } from '../../core/result.js'
import type { GgepExtension } from './messages.js'
import type { QrpCompression } from './qrp/compression.js'

/** The most a deflated GGEP value may inflate to: a GGEP data length is at most 0x3FFFF. */
export const GGEP_VALUE_BYTES_MAX = 0x3ffff

export function cobsEncode(data: Uint8Array): Uint8Array {
  const out: number[] = []
  let run: number[] = []
  const flush = (code: number): void => {
    out.push(code, ...run)
    run = []
  }
  for (const byte of data) {
    if (byte === 0) {
      flush(run.length + 1)
      continue
    }
    run.push(byte)
    if (run.length === 254) flush(0xff)
  }
  flush(run.length + 1)
  return Uint8Array.from(out)
}

export function cobsDecode(encoded: Uint8Array): Result<Uint8Array, string> {
  const out: number[] = []
  let at = 0
  while (at < encoded.length) {
    const code = encoded[at++] as number
    if (code === 0) return err('COBS data holds a 0x00')
    const run = encoded.subarray(at, at + code - 1)
    if (run.length < code - 1) return err('COBS run longer than the data')
    if (run.includes(0)) return err('COBS data holds a 0x00')
    out.push(...run)
    at += code - 1
    if (code < 0xff && at < encoded.length) out.push(0)
  }
  return ok(Uint8Array.from(out))
}

export interface GgepEncodings {
  readonly cobs?: boolean
  readonly deflate?: boolean
}

/**
 * An extension carrying `value`: deflated when asked and a compressor is given (else sent
 * plain, flag clear), then COBS-encoded when asked.
 */
export function ggepExtension(
  id: string,
  value: Uint8Array,
  encodings: GgepEncodings = {},
  compression?: QrpCompression,
): GgepExtension {
  const deflate = encodings.deflate === true && compression !== undefined
  let data = deflate ? compression.deflate(value) : value
  if (encodings.cobs === true) data = cobsEncode(data)
  return { id, data, encoded: encodings.cobs === true, compressed: deflate }
}

/** The value of an extension: COBS undone, then inflated (bounded). */
export function ggepValue(
  extension: GgepExtension,
  compression?: QrpCompression,
  valueBytesMax = GGEP_VALUE_BYTES_MAX,
): Result<Uint8Array, string> {
  let data = extension.data
  if (extension.encoded) {
    const decoded = cobsDecode(data)
    if (!decoded.ok) return decoded
    data = decoded.value
  }
  if (!extension.compressed) return ok(data)
  if (compression === undefined) return err('deflated GGEP value and no inflater')
  const inflated = compression.inflate(data, valueBytesMax)
  return inflated.ok ? ok(inflated.value) : err(`GGEP inflate: ${inflated.error}`)
}

/**
 * The resume file's bytes: one canonical bencoded dictionary.
 *
 *   format       'plexus resume'
 *   version      1 (RESUME_FORMAT_VERSION; any other is refused, not guessed at)
 *   info hash    the torrent's 20-byte v1 info-hash
 *   piece count  the torrent's piece count
 *   pieces       BEP 3 bitfield of the pieces verified AND fsynced before this write
 *   file sizes   per file, the length it must have at least for those pieces (0 for pad files
 *                and for files no claimed piece touches)
 *
 * The Disk port has no mtime, so unlike libtorrent we cannot notice a file edited in place at
 * an unchanged or larger size: the sizes catch truncation and deletion only. After a suspected
 * tampering, run `recheck`. Decoding checks every field against the metainfo; any mismatch is
 * a rejection value, and the caller then rechecks.
 */
import {
  dictGetBytes,
  dictGetInt,
  dictGetList,
  dictGetString,
} from '../../../core/codec/bencode.js'
import { decode, dictOf, encode, isBDict, isBInt } from '../../../core/codec/bencode.js'
import { equalBytes } from '../../../core/bytes.js'
import { err, ok, type Result } from '../../../core/result.js'
import type { Metainfo } from '../metainfo/index.js'
import { Bitfield } from '../picker/bitfield.js'

export const RESUME_FORMAT = 'plexus resume'
export const RESUME_FORMAT_VERSION = 1

/** Room for the dictionary's keys and fixed fields; the variable parts are bounded apart. */
const RESUME_FIXED_BYTES_MAX = 256
/** `i<16 digits>e` holds any size up to 2^50 (the metainfo's total bound). */
const RESUME_INT_BYTES_MAX = 18

export type ResumeRejectionCode =
  | 'missing'
  | 'unreadable'
  | 'malformed'
  | 'version'
  | 'info_hash'
  | 'bitfield'
  | 'file_sizes'
  | 'file_missing'
  | 'file_short'

/** Why resume data was not used: the caller rechecks and may log `detail`. */
export interface ResumeRejection {
  readonly code: ResumeRejectionCode
  readonly detail: string
}

const reject = (code: ResumeRejectionCode, detail: string) => err({ code, detail })

/** The largest resume file this torrent can have: a longer one is refused unread. */
export function resumeBytesMax(m: Metainfo): number {
  const bitfield = Math.ceil(m.pieceCount / 8) + RESUME_INT_BYTES_MAX
  return RESUME_FIXED_BYTES_MAX + bitfield + m.files.length * RESUME_INT_BYTES_MAX
}

export function encodeResume(m: Metainfo, pieces: Bitfield): Uint8Array {
  return encode(
    dictOf({
      'file sizes': requiredFileSizes(m, pieces),
      format: RESUME_FORMAT,
      'info hash': m.infoHash,
      'piece count': m.pieceCount,
      pieces: pieces.toBytes(),
      version: RESUME_FORMAT_VERSION,
    }),
  )
}

/** The claimed pieces, if `bytes` is resume data for this torrent and consistent with it. */
export function decodeResume(bytes: Uint8Array, m: Metainfo): Result<Bitfield, ResumeRejection> {
  const bytesMax = resumeBytesMax(m)
  const decoded = decode(bytes, { bytesMax, itemsMax: m.files.length + 16, depthMax: 2 })
  if (!decoded.ok) return reject('malformed', decoded.error.message)
  const dict = decoded.value
  if (!isBDict(dict)) return reject('malformed', 'not a dictionary')
  if (dictGetString(dict, 'format') !== RESUME_FORMAT) return reject('malformed', 'no format')
  const version = dictGetInt(dict, 'version')
  if (version !== RESUME_FORMAT_VERSION) return reject('version', `version ${version}`)
  const infoHash = dictGetBytes(dict, 'info hash')
  if (infoHash === undefined || !equalBytes(infoHash, m.infoHash)) {
    return reject('info_hash', 'resume data is for another torrent')
  }
  const count = dictGetInt(dict, 'piece count')
  if (count !== m.pieceCount) return reject('bitfield', `${count} pieces, not ${m.pieceCount}`)
  const field = Bitfield.fromBytes(dictGetBytes(dict, 'pieces') ?? new Uint8Array(), count)
  if (!field.ok) return reject('bitfield', field.error)
  const sizes = dictGetList(dict, 'file sizes')
  if (sizes === undefined || sizes.length !== m.files.length || !sizes.every(isBInt)) {
    return reject('file_sizes', 'file sizes do not match the file list')
  }
  const expected = requiredFileSizes(m, field.value)
  const differs = expected.findIndex((size, index) => size !== sizes[index])
  if (differs >= 0) return reject('file_sizes', `file ${differs} size does not match the pieces`)
  return ok(field.value)
}

/**
 * Per file, how long it must be at least for `pieces` to be read from it: the end of the last
 * byte a piece in `pieces` covers (0 when none does, and for pad files). O(pieces + files).
 */
export function requiredFileSizes(m: Metainfo, pieces: Bitfield): number[] {
  const pieceLength = m.pieceLength
  return m.files.map((file) => {
    if (file.pad || file.length === 0) return 0
    const end = file.offset + file.length
    const first = Math.floor(file.offset / pieceLength)
    for (let piece = Math.floor((end - 1) / pieceLength); piece >= first; piece--) {
      if (pieces.get(piece)) return Math.min(end, (piece + 1) * pieceLength) - file.offset
    }
    return 0
  })
}

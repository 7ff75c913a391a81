/**
 * The resume file's bytes: one canonical bencoded dictionary.
 *
 *   format       'plexus resume'
 *   version      2 (RESUME_FORMAT_VERSION; any other is refused, not guessed at)
 *   info hash    the torrent's 20-byte v1 info-hash
 *   piece count  the torrent's piece count
 *   pieces       BEP 3 bitfield of the pieces verified AND fsynced before this write
 *   files        per file, what the Disk said when the pieces were claimed: [size, modified]
 *                ([size] when the Disk has no mtime, [] when the file was absent, and for pad
 *                files)
 *
 * As in libtorrent and Transmission, the recorded size and mtime are how a later start knows
 * that a file was not touched since: `loadResume` trusts the claimed pieces of a file only
 * while both are unchanged, and rechecks the pieces of any file that differs. Decoding checks
 * every field against the metainfo (a claimed piece needs its files recorded at least as long
 * as it reaches); any mismatch is a rejection value, and the caller then rechecks everything.
 */
import {
  dictGetBytes,
  dictGetInt,
  dictGetList,
  dictGetString,
} from '../../../core/codec/bencode.js'
import {
  decode,
  dictOf,
  encode,
  isBDict,
  isBInt,
  isBList,
  type BValue,
} from '../../../core/codec/bencode.js'
import { equalBytes } from '../../../core/bytes.js'
import { err, ok, type Result } from '../../../core/result.js'
import type { Metainfo } from '../metainfo/index.js'
import { Bitfield } from '../picker/bitfield.js'
import type { FileState } from './file-paths.js'

export const RESUME_FORMAT = 'plexus resume'
export const RESUME_FORMAT_VERSION = 2

/** Room for the dictionary's keys and fixed fields; the variable parts are bounded apart. */
const RESUME_FIXED_BYTES_MAX = 256
/** `i<16 digits>e` holds any size up to 2^50 (the metainfo's total bound). */
const RESUME_INT_BYTES_MAX = 18

export type ResumeRejectionCode =
  'missing' | 'unreadable' | 'malformed' | 'version' | 'info_hash' | 'bitfield' | 'file_sizes'

/** Why resume data was not used: the caller rechecks and may log `detail`. */
export interface ResumeRejection {
  readonly code: ResumeRejectionCode
  readonly detail: string
}

const reject = (code: ResumeRejectionCode, detail: string) => err({ code, detail })

/** Per file: `l`, two integers, `e`. */
const RESUME_FILE_BYTES_MAX = 2 + 2 * RESUME_INT_BYTES_MAX

/** What resume data says: the claimed pieces, and each file as it was when they were claimed. */
export interface ResumeRecord {
  readonly pieces: Bitfield
  /** Index for index with `m.files`; undefined for a file that was absent (and pad files). */
  readonly files: readonly (FileState | undefined)[]
}

/** The largest resume file this torrent can have: a longer one is refused unread. */
export function resumeBytesMax(m: Metainfo): number {
  const bitfield = Math.ceil(m.pieceCount / 8) + RESUME_INT_BYTES_MAX
  return RESUME_FIXED_BYTES_MAX + bitfield + m.files.length * RESUME_FILE_BYTES_MAX
}

const encodeFile = (file: FileState | undefined): number[] =>
  file === undefined ? [] : file.modified === undefined ? [file.size] : [file.size, file.modified]

/** `[]`, `[size]` or `[size, modified]` of non-negative safe integers; null when malformed. */
function decodeFile(value: BValue | undefined): FileState | undefined | null {
  if (!isBList(value) || value.length > 2 || !value.every(isBInt)) return null
  if (!value.every((n) => Number.isSafeInteger(n) && n >= 0)) return null
  const [size, modified] = value
  if (size === undefined) return undefined
  return modified === undefined ? { size } : { size, modified }
}

export function encodeResume(m: Metainfo, record: ResumeRecord): Uint8Array {
  const { pieces, files } = record
  return encode(
    dictOf({
      files: m.files.map((file, index) => (file.pad ? [] : encodeFile(files[index]))),
      format: RESUME_FORMAT,
      'info hash': m.infoHash,
      'piece count': m.pieceCount,
      pieces: pieces.toBytes(),
      version: RESUME_FORMAT_VERSION,
    }),
  )
}

/** The record, if `bytes` is resume data for this torrent and consistent with it. */
export function decodeResume(
  bytes: Uint8Array,
  m: Metainfo,
): Result<ResumeRecord, ResumeRejection> {
  const bytesMax = resumeBytesMax(m)
  const decoded = decode(bytes, { bytesMax, itemsMax: 4 * m.files.length + 16, depthMax: 3 })
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
  const list = dictGetList(dict, 'files')
  if (list === undefined || list.length !== m.files.length) {
    return reject('file_sizes', 'the file records do not match the file list')
  }
  const files = list.map(decodeFile)
  const bad = files.findIndex((file) => file === null)
  if (bad >= 0) return reject('file_sizes', `file ${bad} record is malformed`)
  const recorded = files as (FileState | undefined)[]
  const required = requiredFileSizes(m, field.value)
  const short = required.findIndex((need, index) => need > (recorded[index]?.size ?? 0))
  if (short >= 0) return reject('file_sizes', `file ${short} is shorter than its pieces need`)
  return ok({ pieces: field.value, files: recorded })
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

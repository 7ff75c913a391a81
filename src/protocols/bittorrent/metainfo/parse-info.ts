/**
 * The info dictionary: piece length, piece hashes, name, files, private flag, and the v1
 * info-hash, which is SHA-1 over the dictionary's bytes exactly as they arrived (never over a
 * re-encoding). Shared by .torrent files (parse.ts) and ut_metadata downloads (BEP 9).
 *
 * BEP 52: a v2-only torrent (`meta version` 2 without `pieces`) is refused as unsupported; a
 * hybrid (v2 keys beside a full v1 layout) is read through its v1 keys and flagged `hybrid`.
 */
import { decode, dictGetBytes, dictGetInt, type BDict } from '../../../core/codec/bencode.js'
import { fromUtf8Strict, toHex } from '../../../core/bytes.js'
import type { Hashing } from '../../../core/env.js'
import type { Id160 } from '../../../core/id.js'
import { err, ok, type Result } from '../../../core/result.js'
import { type MetainfoError, metainfoError } from './errors.js'
import type { MetainfoLimits } from './limits.js'
import { parseFileLayout } from './parse-files.js'
import { checkComponent, decodeName } from './path.js'
import { PIECE_HASH_BYTES, type Metainfo } from './types.js'

/** The v2 `meta version`; v1 torrents have no such key. */
const META_VERSION_V2 = 2

type Parsed<T> = Result<T, MetainfoError>

/** A Metainfo from an info dictionary alone: no trackers, no comment. */
export function parseInfoBytes(
  infoBytes: Uint8Array,
  hashing: Hashing,
  limits: MetainfoLimits,
): Parsed<Metainfo> {
  const decoded = decode(infoBytes, {
    bytesMax: limits.torrentBytesMax,
    itemsMax: limits.itemsMax,
    allowUnsortedKeys: true,
  })
  if (!decoded.ok) {
    const { code, offset, message } = decoded.error
    return err(metainfoError('not_bencode', `info: ${code} at byte ${offset}: ${message}`))
  }
  const info = decoded.value
  if (!(info instanceof Map)) return err(metainfoError('not_a_dict', 'info is not a dictionary'))
  const version = checkVersion(info)
  if (!version.ok) return version
  const pieceLength = checkPieceLength(info, limits)
  if (!pieceLength.ok) return pieceLength
  const pieces = checkPieces(info, limits)
  if (!pieces.ok) return pieces
  const name = checkName(info, limits)
  if (!name.ok) return name
  const layout = parseFileLayout(info, name.value, limits)
  if (!layout.ok) return layout
  const { files, totalLength, isSingleFile } = layout.value
  if (totalLength === 0) return err(metainfoError('empty_torrent', 'total length is 0'))
  const pieceCount = pieces.value.length / PIECE_HASH_BYTES
  const expected = Math.ceil(totalLength / pieceLength.value)
  if (pieceCount !== expected) {
    const message = `${pieceCount} piece hashes, but ${totalLength} bytes make ${expected} pieces`
    return err(metainfoError('piece_count_mismatch', message))
  }
  const infoHash = hashing.sha1([infoBytes]).slice() as Id160
  return ok({
    infoHash,
    infoHashHex: toHex(infoHash),
    name: name.value,
    pieceLength: pieceLength.value,
    pieceCount,
    pieces: pieces.value,
    files,
    totalLength,
    isSingleFile,
    // libtorrent treats any non-zero value as private; failing closed keeps a private
    // torrent's peers off the DHT even when its creator wrote `private=2`.
    private: (dictGetInt(info, 'private') ?? 0) !== 0,
    hybrid: version.value === META_VERSION_V2,
    announceList: [],
    urlList: [],
    infoBytes,
  })
}

function checkVersion(info: BDict): Parsed<number | undefined> {
  const version = info.get('meta version')
  if (version === undefined) return ok(undefined)
  if (typeof version !== 'number') {
    return err(metainfoError('wrong_type', "'meta version' is not an integer"))
  }
  if (version > META_VERSION_V2) {
    return err(metainfoError('unsupported_version', `unsupported: meta version ${version}`))
  }
  if (version === META_VERSION_V2 && !info.has('pieces')) {
    const message = "unsupported: v2-only torrent (meta version 2 without v1 'pieces')"
    return err(metainfoError('unsupported_v2', message))
  }
  return ok(version)
}

function checkPieceLength(info: BDict, limits: MetainfoLimits): Parsed<number> {
  const value = info.get('piece length')
  if (value === undefined) return err(metainfoError('missing_key', "info has no 'piece length'"))
  if (typeof value !== 'number') {
    return err(metainfoError('wrong_type', "'piece length' is not an integer"))
  }
  if (value < limits.pieceLengthMin || value > limits.pieceLengthMax) {
    const range = `${limits.pieceLengthMin}..${limits.pieceLengthMax}`
    return err(metainfoError('bad_piece_length', `piece length ${value} outside ${range}`))
  }
  return ok(value)
}

function checkPieces(info: BDict, limits: MetainfoLimits): Parsed<Uint8Array> {
  const value = info.get('pieces')
  if (value === undefined) return err(metainfoError('missing_key', "info has no 'pieces'"))
  if (!(value instanceof Uint8Array)) {
    return err(metainfoError('wrong_type', "'pieces' is not a byte string"))
  }
  if (value.length % PIECE_HASH_BYTES !== 0) {
    const message = `'pieces' is ${value.length} bytes, not a multiple of ${PIECE_HASH_BYTES}`
    return err(metainfoError('bad_pieces', message))
  }
  const count = value.length / PIECE_HASH_BYTES
  if (count > limits.pieceCountMax) {
    return err(metainfoError('too_many_pieces', `${count} pieces, over ${limits.pieceCountMax}`))
  }
  return ok(value)
}

/** `name.utf-8` when it is valid UTF-8 (old clients wrote `name` in a local code page). */
function checkName(info: BDict, limits: MetainfoLimits): Parsed<string> {
  const preferred = dictGetBytes(info, 'name.utf-8')
  const plain = info.get('name')
  let bytes: Uint8Array
  if (preferred !== undefined && fromUtf8Strict(preferred) !== undefined) bytes = preferred
  else if (plain === undefined) return err(metainfoError('missing_key', "info has no 'name'"))
  else if (!(plain instanceof Uint8Array)) {
    return err(metainfoError('wrong_type', "'name' is not a byte string"))
  } else bytes = plain
  const name = decodeName(bytes)
  const problem = checkComponent(name, limits.componentBytesMax)
  if (problem !== undefined) return err(metainfoError(problem.code, `name ${problem.reason}`))
  return ok(name)
}

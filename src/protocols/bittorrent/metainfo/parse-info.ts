/**
 * The info dictionary: piece length, piece hashes, name, files, private flag, and the
 * info-hashes, computed over the dictionary's bytes exactly as they arrived (never over a
 * re-encoding). Shared by .torrent files (parse.ts) and ut_metadata downloads (BEP 9).
 *
 * BEP 52: `meta version` 2 with a `file tree` is a v2 torrent; with v1 `pieces` and a v1
 * layout beside it, a hybrid, whose two layouts must agree (parse-v2.ts).
 */
import { decode, dictGetBytes, dictGetInt, type BDict } from '../../../core/codec/bencode.js'
import { fromUtf8Strict, toHex } from '../../../core/bytes.js'
import type { Hashing } from '../../../core/env.js'
import type { Id160 } from '../../../core/id.js'
import { err, ok, type Result } from '../../../core/result.js'
import { type MetainfoError, metainfoError } from './errors.js'
import type { MetainfoLimits } from './limits.js'
import { type FileLayout, parseFileLayout } from './parse-files.js'
import { parseFileTree } from './parse-file-tree.js'
import { checkHybrid, checkV2PieceLength, v2Layout } from './parse-v2.js'
import { checkComponent, decodeName } from './path.js'
import { PIECE_HASH_BYTES, type Metainfo, type MetaVersion } from './types.js'

/** The v2 `meta version`; v1 torrents have no such key. */
const META_VERSION_V2 = 2
/** BEP 52: v2 peers and the DHT use the SHA-256 info-hash truncated to this many bytes. */
const TRUNCATED_HASH_BYTES = 20

type Parsed<T> = Result<T, MetainfoError>

/** A Metainfo from an info dictionary alone: no trackers, no comment, no piece layers. */
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
  if (version.value !== 'v1') {
    const v2Length = checkV2PieceLength(pieceLength.value)
    if (!v2Length.ok) return v2Length
  }
  const name = checkName(info, limits)
  if (!name.ok) return name
  const layout = checkLayout(info, version.value, name.value, pieceLength.value, limits)
  if (!layout.ok) return layout
  const { files, totalLength, isSingleFile } = layout.value
  if (totalLength === 0) return err(metainfoError('empty_torrent', 'total length is 0'))
  if (totalLength > limits.totalBytesMax) {
    return err(metainfoError('too_large', `total length over ${limits.totalBytesMax} bytes`))
  }
  const expected = Math.ceil(totalLength / pieceLength.value)
  const pieces = version.value === 'v2' ? ok(new Uint8Array(0)) : checkPieces(info, limits)
  if (!pieces.ok) return pieces
  const pieceCount = version.value === 'v2' ? expected : pieces.value.length / PIECE_HASH_BYTES
  if (pieceCount > limits.pieceCountMax) {
    return err(
      metainfoError('too_many_pieces', `${pieceCount} pieces, over ${limits.pieceCountMax}`),
    )
  }
  if (pieceCount !== expected) {
    const message = `${pieceCount} piece hashes, but ${totalLength} bytes make ${expected} pieces`
    return err(metainfoError('piece_count_mismatch', message))
  }
  const hashes = infoHashes(infoBytes, version.value, hashing)
  return ok({
    ...hashes,
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
    hybrid: version.value === 'hybrid',
    version: version.value,
    announceList: [],
    urlList: [],
    pieceLayers: new Map(),
    infoBytes,
  })
}

type InfoHashes = Pick<Metainfo, 'infoHash' | 'infoHashHex' | 'infoHashV2' | 'infoHashV2Hex'>

function infoHashes(infoBytes: Uint8Array, version: MetaVersion, hashing: Hashing): InfoHashes {
  if (version === 'v1') {
    const infoHash = hashing.sha1([infoBytes]).slice() as Id160
    return { infoHash, infoHashHex: toHex(infoHash) }
  }
  const infoHashV2 = hashing.sha256([infoBytes]).slice()
  const infoHash =
    version === 'v2'
      ? (infoHashV2.slice(0, TRUNCATED_HASH_BYTES) as Id160)
      : (hashing.sha1([infoBytes]).slice() as Id160)
  return {
    infoHash,
    infoHashHex: toHex(infoHash),
    infoHashV2,
    infoHashV2Hex: toHex(infoHashV2),
  }
}

function checkLayout(
  info: BDict,
  version: MetaVersion,
  name: string,
  pieceLength: number,
  limits: MetainfoLimits,
): Parsed<FileLayout> {
  if (version === 'v1') return parseFileLayout(info, name, limits)
  const tree = parseFileTree(info.get('file tree') ?? new Map(), limits)
  if (!tree.ok) return tree
  if (version === 'v2') return ok(v2Layout(tree.value, name, pieceLength))
  const v1 = parseFileLayout(info, name, limits)
  if (!v1.ok) return v1
  return checkHybrid(v1.value, tree.value, name, pieceLength)
}

function checkVersion(info: BDict): Parsed<MetaVersion> {
  const version = info.get('meta version')
  if (version === undefined) return ok('v1')
  if (typeof version !== 'number') {
    return err(metainfoError('wrong_type', "'meta version' is not an integer"))
  }
  // A `meta version` below 2 names no format of its own: the dictionary is read as v1.
  if (version < META_VERSION_V2) return ok('v1')
  if (version > META_VERSION_V2) {
    return err(metainfoError('unsupported_version', `unsupported: meta version ${version}`))
  }
  if (!info.has('file tree')) {
    return err(metainfoError('missing_key', "meta version 2 without a 'file tree'"))
  }
  return ok(info.has('pieces') ? 'hybrid' : 'v2')
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

/**
 * Making torrents: choosing a piece length, writing the info dictionary, and wrapping it in a
 * .torrent. Everything here is local input, so a value we could not write correctly (an unsafe
 * file name, hashes that do not match the layout) is a programmer error and throws
 * `LocalProtocolError`: check names from disk with `checkComponent` before building.
 *
 * The output is canonical bencode, so the info-hash depends only on the content description,
 * and `parseMetainfo` (default limits) accepts every torrent built here.
 */
import {
  decode,
  dictOf,
  encode,
  keyFromBytes,
  keyFromText,
  type BEncodable,
} from '../../../core/codec/bencode.js'
import { compareBytes, utf8 } from '../../../core/bytes.js'
import { assert } from '../../../core/errors.js'
import { isPowerOfTwo, MERKLE_BLOCK_BYTES, MERKLE_HASH_BYTES } from '../merkle/index.js'
import { DEFAULT_METAINFO_LIMITS } from './limits.js'
import { checkComponent, findPathClash } from './path.js'
import { PIECE_HASH_BYTES, type MetaVersion } from './types.js'

/** Bounds of `planPieceLength` (Transmission 4's): 16 KiB is one block, 16 MiB suits all. */
export const PLANNED_PIECE_LENGTH_MIN = 16 * 1024
export const PLANNED_PIECE_LENGTH_MAX = 16 * 1024 * 1024

const LOG2_PLANNED_MIN = 14
const LOG2_PLANNED_MAX = 24
/** log2 of the piece count the rule aims at (2^10 = 1024). */
const LOG2_TARGET_PIECES = 10

/**
 * The piece length for `totalBytes` of content. It mirrors Transmission 4's
 * `tr_metainfo_builder::default_piece_size`: 2^round(log2(total) - 10), clamped to
 * 16 KiB..16 MiB, which aims at about 1024 pieces (between 724 and 1448 unless clamped).
 * The rounding is done in exact integer arithmetic: the exponent moves up from k to k + 1
 * once total >= 2^(k + 10.5), that is, once total^2 >= 2^(2k + 21).
 */
export function planPieceLength(totalBytes: number): number {
  assert(Number.isSafeInteger(totalBytes) && totalBytes >= 0, `bad total ${totalBytes}`)
  const total = BigInt(totalBytes)
  let exponent = LOG2_PLANNED_MIN
  while (exponent < LOG2_PLANNED_MAX) {
    const boundary = 1n << BigInt(2 * (exponent + LOG2_TARGET_PIECES) + 1)
    if (total * total < boundary) break
    exponent++
  }
  return 2 ** exponent
}

export interface FileInput {
  /**
   * Components under the torrent's root directory `name`. The empty path `[]` means the root
   * itself is the file: the single-file form (`length` instead of `files`), allowed only as
   * the one and only file.
   */
  readonly path: readonly string[]
  readonly length: number
  /** A BEP 47 padding file (`attr` `p`). */
  readonly pad?: boolean
}

export interface InfoDictInput {
  readonly name: string
  /**
   * In payload order: the order the pieces were hashed in. It is kept as given. For v2 and
   * hybrid torrents, the real files only, in `compareTreePaths` order; the hybrid's padding
   * files are added here (`alignFiles`), and `pieces` must cover that aligned payload.
   */
  readonly files: readonly FileInput[]
  readonly pieceLength: number
  /** 20-byte SHA-1 digests back to back, one per piece (`PieceHasher.finish()`); v1, hybrid. */
  readonly pieces?: Uint8Array
  readonly private?: boolean
  /** BEP 52 generation; v1 when absent. */
  readonly version?: MetaVersion
  /** v2, hybrid: each file's pieces root (32 bytes), parallel to `files`; none for empty ones. */
  readonly piecesRoots?: readonly (Uint8Array | undefined)[]
}

/**
 * The order of files in a v2 file tree: component by component, bytewise (a dictionary's
 * key order), so a directory's files stay together. v2 and hybrid torrents must list their
 * files in this order, as libtorrent does.
 */
export function compareTreePaths(a: readonly string[], b: readonly string[]): number {
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    const order = compareBytes(utf8(a[index] as string), utf8(b[index] as string))
    if (order !== 0) return order
  }
  return a.length - b.length
}

/**
 * A v2 layout in v1 terms (BEP 47): after every file that does not end on a piece boundary, a
 * padding file `.pad/<length>` to the boundary. libtorrent pads the last file too, except in
 * a single-file torrent. Pieces of a hybrid are hashed over this payload (zeros for pads).
 */
export function alignFiles<F extends FileInput>(
  files: readonly F[],
  pieceLength: number,
): (F | FileInput)[] {
  const single = files.length === 1 && files[0]?.path.length === 0
  const out: (F | FileInput)[] = []
  for (const file of files) {
    out.push(file)
    const tail = file.length % pieceLength
    if (single || tail === 0) continue
    const pad = pieceLength - tail
    out.push({ path: ['.pad', String(pad)], length: pad, pad: true })
  }
  return out
}

/** The canonical bencoded info dictionary: the bytes whose SHA-1 is the info-hash. */
export function buildInfoDict(input: InfoDictInput): Uint8Array {
  const version = input.version ?? 'v1'
  if (version !== 'v1') checkV2Input(input)
  const files = version === 'hybrid' ? alignFiles(input.files, input.pieceLength) : input.files
  const { name, pieceLength } = input
  const pieces = version === 'v2' ? undefined : input.pieces
  const total = checkLayout({ ...input, files })
  const v2Keys = version === 'v1' ? {} : { 'file tree': fileTree(input), 'meta version': 2 }
  if (version === 'v2') {
    return encode(
      dictOf({
        ...v2Keys,
        name,
        'piece length': pieceLength,
        private: input.private === true ? 1 : undefined,
      }),
    )
  }
  assert(pieces !== undefined, 'v1 and hybrid torrents need piece hashes')
  const pieceCount = Math.ceil(total / pieceLength)
  assert(
    pieces.length === pieceCount * PIECE_HASH_BYTES,
    `${pieces.length} bytes of hashes for ${pieceCount} pieces`,
  )
  const single = files[0]?.path.length === 0
  const layout: Record<string, BEncodable> = single
    ? { length: total }
    : { files: files.map(fileEntry) }
  return encode(
    dictOf({
      ...layout,
      ...v2Keys,
      name,
      'piece length': pieceLength,
      pieces,
      private: input.private === true ? 1 : undefined,
    }),
  )
}

function checkV2Input({ files, pieceLength, piecesRoots }: InfoDictInput): void {
  assert(
    isPowerOfTwo(pieceLength) && pieceLength >= MERKLE_BLOCK_BYTES,
    `v2 piece length ${pieceLength} is not a power of two of at least 16 KiB`,
  )
  assert(piecesRoots?.length === files.length, 'v2 needs one pieces root per file')
  for (const [index, file] of files.entries()) {
    assert(file.pad !== true, 'v2 files are given without padding files')
    const root = piecesRoots[index]
    assert(
      file.length === 0 ? root === undefined : root?.length === MERKLE_HASH_BYTES,
      `file ${index}: a pieces root of 32 bytes for a non-empty file, none for an empty one`,
    )
    const previous = files[index - 1]
    assert(
      previous === undefined || compareTreePaths(previous.path, file.path) < 0,
      'v2 files must be in file tree order, without duplicates',
    )
  }
}

/** The nested `file tree` dictionary; the single-file form is keyed by the torrent name. */
function fileTree({ name, files, piecesRoots }: InfoDictInput): ReadonlyMap<string, BEncodable> {
  const root = new Map<string, BEncodable>()
  for (const [index, file] of files.entries()) {
    const path = file.path.length === 0 ? [name] : file.path
    let node = root
    for (const component of path.slice(0, -1)) {
      const key = keyFromText(component)
      let child = node.get(key)
      if (!(child instanceof Map)) {
        child = new Map<string, BEncodable>()
        node.set(key, child)
      }
      node = child as Map<string, BEncodable>
    }
    const leaf = dictOf({ length: file.length, 'pieces root': piecesRoots?.[index] })
    node.set(keyFromText(path[path.length - 1] as string), new Map([['', leaf]]))
  }
  return root
}

export interface TorrentInput {
  /** The info dictionary from `buildInfoDict` (or any canonical one). */
  readonly info: Uint8Array
  readonly announce?: string
  /** BEP 12 tiers. */
  readonly announceList?: readonly (readonly string[])[]
  /** BEP 19 web seeds. */
  readonly urlList?: readonly string[]
  readonly comment?: string
  readonly createdBy?: string
  /** Seconds since the Unix epoch (the caller reads its clock; this module has none). */
  readonly creationDate?: number
  /** BEP 52 `piece layers`: the layer of every file longer than one piece, by pieces root. */
  readonly pieceLayers?: readonly { readonly root: Uint8Array; readonly layer: Uint8Array }[]
}

/** A canonical .torrent around `info`; `info`'s bytes appear in it unchanged. */
export function buildTorrent(input: TorrentInput): Uint8Array {
  // Decoding the canonical info and encoding it again reproduces its bytes exactly, so the
  // info-hash is preserved. Both bounds are the input's own size: nothing larger can be there.
  const bound = input.info.length
  const info = decode(input.info, { bytesMax: bound, itemsMax: bound })
  assert(info.ok && info.value instanceof Map, 'info must be one canonical bencoded dictionary')
  const { creationDate } = input
  assert(
    creationDate === undefined || (Number.isSafeInteger(creationDate) && creationDate >= 0),
    `bad creation date ${creationDate}`,
  )
  const tiers = input.announceList?.filter((tier) => tier.length > 0)
  const seeds = input.urlList
  return encode(
    dictOf({
      announce: input.announce,
      'announce-list': tiers !== undefined && tiers.length > 0 ? tiers : undefined,
      comment: input.comment,
      'created by': input.createdBy,
      'creation date': creationDate,
      info: info.value,
      'piece layers':
        input.pieceLayers === undefined || input.pieceLayers.length === 0
          ? undefined
          : new Map(input.pieceLayers.map(({ root, layer }) => [keyFromBytes(root), layer])),
      'url-list': seeds !== undefined && seeds.length > 0 ? seeds : undefined,
    }),
  )
}

function fileEntry(file: FileInput): ReadonlyMap<string, BEncodable> {
  return dictOf({ attr: file.pad === true ? 'p' : undefined, length: file.length, path: file.path })
}

/**
 * Asserts that the parser, with its default limits, would accept this layout (so that every
 * torrent we write can be read back), and returns the total length.
 */
function checkLayout({ name, files, pieceLength }: InfoDictInput): number {
  const limits = DEFAULT_METAINFO_LIMITS
  checkName(name, 'name')
  assert(
    Number.isSafeInteger(pieceLength) &&
      pieceLength >= limits.pieceLengthMin &&
      pieceLength <= limits.pieceLengthMax,
    `bad piece length ${pieceLength}`,
  )
  assert(files.length > 0 && files.length <= limits.fileCountMax, `${files.length} files`)
  let total = 0
  for (const file of files) {
    assert(Number.isSafeInteger(file.length) && file.length >= 0, `bad length ${file.length}`)
    assert(file.path.length > 0 || files.length === 1, 'path [] (single-file) must be alone')
    assert(file.path.length <= limits.pathDepthMax, `path deeper than ${limits.pathDepthMax}`)
    for (const component of file.path) checkName(component, 'path component')
    const pathBytes = utf8([name, ...file.path].join('/')).length
    assert(pathBytes <= limits.pathBytesMax, `path of ${pathBytes} bytes`)
    total += file.length
  }
  assert(total > 0, 'a torrent needs at least one byte of content')
  assert(total <= limits.totalBytesMax, `total ${total} over ${limits.totalBytesMax}`)
  const clash = findPathClash(files.map((f) => ({ path: f.path, pad: f.pad === true })))
  assert(clash === undefined, `file ${clash?.reason ?? ''}`)
  return total
}

function checkName(component: string, what: string): void {
  const problem = checkComponent(component, DEFAULT_METAINFO_LIMITS.componentBytesMax)
  assert(problem === undefined, `${what} '${component}' ${problem?.reason ?? ''}`)
}

/**
 * The BEP 52 side of an info dictionary (`meta version` 2 with a `file tree`): the layout of a
 * v2-only torrent, or the check that a hybrid's v1 `files` and v2 `file tree` describe the
 * same content.
 *
 * v2 aligns every file to a piece boundary. A v2-only torrent is given the layout the hybrid
 * libtorrent would make of it: after each file that does not end on a piece boundary, a
 * padding file (`.pad/<length>`) up to the boundary, the last file included, as libtorrent's
 * `torrent_info` lays them out. With that, piece `i` of the payload is what v2 peers call
 * piece `i`, and the v1 piece arithmetic holds.
 */
import { equalBytes } from '../../../core/bytes.js'
import { err, ok, type Result } from '../../../core/result.js'
import { isPowerOfTwo, MERKLE_BLOCK_BYTES } from '../merkle/index.js'
import { type MetainfoError, metainfoError } from './errors.js'
import type { FileLayout } from './parse-files.js'
import type { TreeFile } from './parse-file-tree.js'
import type { MetainfoFile } from './types.js'

type Parsed<T> = Result<T, MetainfoError>

/** v2 piece lengths are powers of two of at least one 16 KiB block. */
export function checkV2PieceLength(pieceLength: number): Parsed<number> {
  if (isPowerOfTwo(pieceLength) && pieceLength >= MERKLE_BLOCK_BYTES) return ok(pieceLength)
  const message = `v2 piece length ${pieceLength} is not a power of two of at least 16 KiB`
  return err(metainfoError('bad_piece_length', message))
}

/**
 * True when `tree` is the single-file form: one file directly under the root, named as the
 * torrent. (A folder holding one file has a tree of the same shape under another name.)
 */
export const isSingleFileTree = (tree: readonly TreeFile[], name: string): boolean =>
  tree.length === 1 && tree[0]?.path.length === 1 && tree[0].path[0] === name

/** The aligned layout of a v2-only torrent named `name`. */
export function v2Layout(tree: readonly TreeFile[], name: string, pieceLength: number): FileLayout {
  const single = isSingleFileTree(tree, name)
  const files: MetainfoFile[] = []
  let offset = 0
  for (const entry of tree) {
    const path = single ? [name] : [name, ...entry.path]
    files.push({
      path,
      length: entry.length,
      offset,
      pad: false,
      executable: entry.executable,
      ...(entry.piecesRoot === undefined ? {} : { piecesRoot: entry.piecesRoot }),
    })
    offset += entry.length
    const tail = entry.length % pieceLength
    if (tail === 0) continue
    const padLength = pieceLength - tail
    const padPath = single ? ['.pad', String(padLength)] : [name, '.pad', String(padLength)]
    files.push({ path: padPath, length: padLength, offset, pad: true, executable: false })
    offset += padLength
  }
  return { files, totalLength: offset, isSingleFile: single }
}

/**
 * A hybrid's v1 layout with each file's pieces root attached, once checked against the tree:
 * the same files with the same lengths in the same order (padding files aside), and every
 * non-empty file starting on a piece boundary, so a v1 piece never spans two v2 files.
 */
export function checkHybrid(
  v1: FileLayout,
  tree: readonly TreeFile[],
  name: string,
  pieceLength: number,
): Parsed<FileLayout> {
  const real = v1.files.filter((file) => !file.pad)
  if (real.length !== tree.length) {
    const message = `hybrid: ${real.length} v1 files but ${tree.length} in the file tree`
    return err(metainfoError('hybrid_mismatch', message))
  }
  const single = v1.isSingleFile
  const roots = new Map<MetainfoFile, Uint8Array>()
  for (const [index, file] of real.entries()) {
    const entry = tree[index] as TreeFile
    // A single-file tree names the file by its key, which must be the v1 `name`.
    const expected = single ? entry.path : [name, ...entry.path]
    if (!samePath(file.path, expected) || file.length !== entry.length) {
      const message =
        `hybrid: v1 file ${index} '${file.path.join('/')}' (${file.length} bytes) is not ` +
        `'${expected.join('/')}' (${entry.length} bytes) of the file tree`
      return err(metainfoError('hybrid_mismatch', message))
    }
    if (file.length > 0 && file.offset % pieceLength !== 0) {
      const message = `hybrid: '${file.path.join('/')}' does not start on a piece boundary`
      return err(metainfoError('hybrid_mismatch', message))
    }
    if (entry.piecesRoot !== undefined) roots.set(file, entry.piecesRoot)
  }
  const files = v1.files.map((file) => {
    const root = roots.get(file)
    return root === undefined ? file : { ...file, piecesRoot: root }
  })
  return ok({ ...v1, files })
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((part, index) => part === b[index])
}

/** The pieces root of the file a v2 peer names, if the torrent has such a file. */
export function fileWithRoot(files: readonly MetainfoFile[], root: Uint8Array): number | undefined {
  const index = files.findIndex((f) => f.piecesRoot !== undefined && equalBytes(f.piecesRoot, root))
  return index < 0 ? undefined : index
}

/**
 * BEP 52 `file tree`: a nested dictionary whose keys are path components; a file is a node
 * holding the single key "" (the empty name), whose value carries `length` and, for a
 * non-empty file, its 32-byte `pieces root`. Files come out in tree order, which is the
 * dictionary's key order (sorted in canonical bencode): the order of their pieces.
 *
 * The same path rules as v1 apply to every component (path.ts), and a node that is both a
 * file and a directory (`""` beside other keys) is refused rather than guessed at.
 */
import {
  type BDict,
  type BValue,
  dictGetBytes,
  isBDict,
  isBInt,
  keyToBytes,
} from '../../../core/codec/bencode.js'
import { fromUtf8Strict, utf8 } from '../../../core/bytes.js'
import { err, ok, type Result } from '../../../core/result.js'
import { MERKLE_HASH_BYTES } from '../merkle/index.js'
import { type MetainfoError, metainfoError } from './errors.js'
import type { MetainfoLimits } from './limits.js'
import { checkComponent, decodeName } from './path.js'

export interface TreeFile {
  /** Components under the torrent's root (the file tree's own keys). */
  readonly path: readonly string[]
  readonly length: number
  /** Absent exactly when `length` is 0. */
  readonly piecesRoot?: Uint8Array
  readonly executable: boolean
}

type Parsed<T> = Result<T, MetainfoError>

const FILE_KEY = ''

/** The files of `tree`, depth first in key order. */
export function parseFileTree(tree: BValue, limits: MetainfoLimits): Parsed<TreeFile[]> {
  if (!isBDict(tree)) return err(metainfoError('wrong_type', "'file tree' is not a dictionary"))
  const files: TreeFile[] = []
  const walked = walk(tree, [], files, limits)
  if (!walked.ok) return walked
  if (files.length === 0) return err(metainfoError('no_files', "'file tree' holds no files"))
  return ok(files)
}

function walk(
  node: BDict,
  path: readonly string[],
  out: TreeFile[],
  limits: MetainfoLimits,
): Parsed<true> {
  for (const [key, child] of node) {
    const where = path.length === 0 ? 'file tree' : `file tree '${path.join('/')}'`
    if (key === FILE_KEY) {
      return err(metainfoError('bad_file_tree', `${where} is both a file and a directory`))
    }
    const component = componentOf(key)
    const problem = checkComponent(component, limits.componentBytesMax)
    if (problem !== undefined) {
      return err(metainfoError(problem.code, `${where} component ${problem.reason}`))
    }
    const childPath = [...path, component]
    if (childPath.length > limits.pathDepthMax) {
      return err(metainfoError('path_too_deep', `${where} is deeper than ${limits.pathDepthMax}`))
    }
    if (!isBDict(child)) {
      return err(metainfoError('wrong_type', `file tree '${childPath.join('/')}' is not a dict`))
    }
    const leaf = child.get(FILE_KEY)
    if (leaf === undefined) {
      const inner = walk(child, childPath, out, limits)
      if (!inner.ok) return inner
      continue
    }
    if (child.size !== 1) {
      const message = `file tree '${childPath.join('/')}' is both a file and a directory`
      return err(metainfoError('bad_file_tree', message))
    }
    const file = parseLeaf(leaf, childPath, limits)
    if (!file.ok) return file
    if (out.length >= limits.fileCountMax) {
      return err(metainfoError('too_many_files', `over ${limits.fileCountMax} files`))
    }
    out.push(file.value)
  }
  return ok(true)
}

function parseLeaf(leaf: BValue, path: string[], limits: MetainfoLimits): Parsed<TreeFile> {
  const where = `file tree '${path.join('/')}'`
  if (!isBDict(leaf)) return err(metainfoError('wrong_type', `${where} entry is not a dict`))
  const length = leaf.get('length')
  if (length === undefined) return err(metainfoError('missing_key', `${where} has no 'length'`))
  if (!isBInt(length)) return err(metainfoError('wrong_type', `${where} length is not an integer`))
  if (length < 0) return err(metainfoError('bad_length', `${where} length is negative`))
  if (length > limits.totalBytesMax) {
    return err(metainfoError('too_large', `${where} length ${length} over the limit`))
  }
  const pathBytes = path.reduce((sum, part) => sum + utf8(part).length + 1, -1)
  if (pathBytes > limits.pathBytesMax) {
    return err(metainfoError('path_too_long', `${where} path is ${pathBytes} bytes`))
  }
  const attr = dictGetBytes(leaf, 'attr')
  const executable = attr !== undefined && (fromUtf8Strict(attr) ?? '').includes('x')
  const root = leaf.get('pieces root')
  if (length === 0) return ok({ path, length, executable })
  if (root === undefined) {
    return err(metainfoError('missing_key', `${where} has no 'pieces root'`))
  }
  if (!(root instanceof Uint8Array) || root.length !== MERKLE_HASH_BYTES) {
    return err(metainfoError('bad_pieces', `${where} 'pieces root' is not 32 bytes`))
  }
  return ok({ path, length, piecesRoot: root, executable })
}

/** A dictionary key back to its bytes, then through the same name decoding as v1 paths. */
function componentOf(key: string): string {
  const bytes = keyToBytes(key)
  return bytes === undefined ? key : decodeName(bytes)
}

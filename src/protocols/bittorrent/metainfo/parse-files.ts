/**
 * The file layout of an info dictionary: single-file (`length`) or multi-file (`files`), with
 * each file's offset in the torrent's payload. Every path is checked here (see path.ts), so
 * storage can join the components under its download directory without looking at them.
 *
 * BEP 47 attributes: `p` (padding) and `x` (executable) are reported; `l` (symlink) is ignored,
 * so such an entry becomes an ordinary file of its stated length (libtorrent creates it with
 * length 0): never a link whose target a remote party chose. BitComet's older padding files
 * (`_____padding_file_*` without `attr`) are ordinary files here; storage writes their zeros.
 */
import {
  type BDict,
  type BValue,
  dictGetBytes,
  dictGetList,
  isBBytes,
  isBDict,
  isBInt,
  isBList,
} from '../../../core/codec/bencode.js'
import { fromUtf8Strict, utf8 } from '../../../core/bytes.js'
import { err, ok, type Result } from '../../../core/result.js'
import { type MetainfoError, metainfoError } from './errors.js'
import type { MetainfoLimits } from './limits.js'
import { checkComponent, decodeName, findPathClash } from './path.js'
import type { MetainfoFile } from './types.js'

export interface FileLayout {
  readonly files: MetainfoFile[]
  readonly totalLength: number
  readonly isSingleFile: boolean
}

type Parsed<T> = Result<T, MetainfoError>

/** The files of `info`, whose (already checked) `name` is `name`. */
export function parseFileLayout(
  info: BDict,
  name: string,
  limits: MetainfoLimits,
): Parsed<FileLayout> {
  const length = info.get('length')
  const list = info.get('files')
  if (length !== undefined && list !== undefined) {
    return err(metainfoError('length_and_files', "info has both 'length' and 'files'"))
  }
  if (list !== undefined) return parseMultiFile(list, name, limits)
  if (length === undefined) {
    return err(metainfoError('missing_key', "info has neither 'length' nor 'files'"))
  }
  const checked = checkLength(length, 'length', limits)
  if (!checked.ok) return checked
  const file: MetainfoFile = {
    path: [name],
    length: checked.value,
    offset: 0,
    pad: false,
    executable: attrOf(info).includes('x'),
  }
  return ok({ files: [file], totalLength: checked.value, isSingleFile: true })
}

function parseMultiFile(list: BValue, name: string, limits: MetainfoLimits): Parsed<FileLayout> {
  if (!isBList(list)) return err(metainfoError('wrong_type', "'files' is not a list"))
  if (list.length === 0) return err(metainfoError('no_files', "'files' is empty"))
  if (list.length > limits.fileCountMax) {
    return err(metainfoError('too_many_files', `${list.length} files, over ${limits.fileCountMax}`))
  }
  const files: MetainfoFile[] = []
  let offset = 0
  for (const [index, entry] of list.entries()) {
    const file = parseFileEntry(entry, index, name, offset, limits)
    if (!file.ok) return file
    offset += file.value.length
    if (offset > limits.totalBytesMax) {
      return err(metainfoError('too_large', `total length over ${limits.totalBytesMax} bytes`))
    }
    files.push(file.value)
  }
  const clash = findPathClash(files)
  if (clash !== undefined) return err(metainfoError(clash.code, `file ${clash.reason}`))
  return ok({ files, totalLength: offset, isSingleFile: false })
}

function parseFileEntry(
  entry: BValue,
  index: number,
  name: string,
  offset: number,
  limits: MetainfoLimits,
): Parsed<MetainfoFile> {
  if (!isBDict(entry)) return err(metainfoError('wrong_type', `files[${index}] is not a dict`))
  const length = entry.get('length')
  if (length === undefined) {
    return err(metainfoError('missing_key', `files[${index}] has no 'length'`))
  }
  const checked = checkLength(length, `files[${index}].length`, limits)
  if (!checked.ok) return checked
  const attr = attrOf(entry)
  const pad = attr.includes('p')
  const path = filePath(entry, index, pad, checked.value, limits)
  if (!path.ok) return path
  const full = [name, ...path.value]
  const pathBytes = full.reduce((sum, part) => sum + utf8(part).length + 1, -1)
  if (pathBytes > limits.pathBytesMax) {
    return err(metainfoError('path_too_long', `files[${index}] path is ${pathBytes} bytes`))
  }
  return ok({ path: full, length: checked.value, offset, pad, executable: attr.includes('x') })
}

/** The checked components of one entry's `path` (`path.utf-8` when it is valid UTF-8). */
function filePath(
  entry: BDict,
  index: number,
  pad: boolean,
  length: number,
  limits: MetainfoLimits,
): Parsed<string[]> {
  const raw = entry.get('path')
  // libtorrent accepts padding files without a path and files them under `.pad/<length>`.
  if (raw === undefined && pad) return ok(['.pad', String(length)])
  if (raw === undefined) return err(metainfoError('missing_key', `files[${index}] has no 'path'`))
  if (!isBList(raw) || !raw.every(isBBytes)) {
    return err(metainfoError('wrong_type', `files[${index}].path is not a list of strings`))
  }
  if (raw.length === 0) return err(metainfoError('path_empty', `files[${index}].path is empty`))
  if (raw.length > limits.pathDepthMax) {
    const message = `files[${index}].path has ${raw.length} components`
    return err(metainfoError('path_too_deep', message))
  }
  const components = (utf8Path(entry, raw.length) ?? raw).map(decodeName)
  for (const component of components) {
    const problem = checkComponent(component, limits.componentBytesMax)
    if (problem !== undefined) {
      return err(metainfoError(problem.code, `files[${index}].path component ${problem.reason}`))
    }
  }
  return ok(components)
}

/** `path.utf-8` when it is a list of valid UTF-8 strings as long as `path`. */
function utf8Path(entry: BDict, depth: number): Uint8Array[] | undefined {
  const list = dictGetList(entry, 'path.utf-8')
  if (list === undefined || list.length !== depth) return undefined
  const bytes = list.filter(isBBytes)
  if (bytes.length !== depth || !bytes.every((b) => fromUtf8Strict(b) !== undefined)) {
    return undefined
  }
  return bytes
}

function checkLength(value: BValue, what: string, limits: MetainfoLimits): Parsed<number> {
  if (!isBInt(value)) return err(metainfoError('wrong_type', `${what} is not an integer`))
  if (value < 0) return err(metainfoError('bad_length', `${what} is negative (${value})`))
  if (value > limits.totalBytesMax) {
    return err(metainfoError('too_large', `${what} ${value} over ${limits.totalBytesMax} bytes`))
  }
  return ok(value)
}

/** BEP 47 `attr` letters, or '' (unknown letters are ignored, as BEP 47 asks). */
function attrOf(dict: BDict): string {
  const attr = dictGetBytes(dict, 'attr')
  return attr === undefined ? '' : (fromUtf8Strict(attr) ?? '')
}

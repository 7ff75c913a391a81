/**
 * BEP 53: a magnet's `so` (select only) parameter, e.g. `so=0,2,4-6`: the file indices to
 * download, as they stand in the info dictionary's `files` list (pad files count, as in
 * libtorrent's file_storage). Read apart from `parseMagnet` because it can only be applied
 * once the metadata, and so the file list, is known.
 *
 * Like libtorrent, a malformed `so` is ignored (the whole torrent is downloaded) rather than
 * failing the magnet, indices past the file list are dropped, and a selection that leaves no
 * real file selects nothing (everything is downloaded).
 */
import type { MetainfoFile } from './types.js'
import { percentDecode } from './percent.js'

/** Indices one `so` may name; ranges past it are cut (a 2^53 range must not loop). */
export const SELECT_ONLY_INDICES_MAX = 100_000

/** The `so` indices in a magnet link, ascending, or undefined when absent or malformed. */
export function selectOnlyOf(uri: string): number[] | undefined {
  const query = uri.slice(uri.indexOf('?') + 1)
  const selected = new Set<number>()
  let seen = false
  for (const param of query.split('&')) {
    const equals = param.indexOf('=')
    if (equals < 0 || param.slice(0, equals).toLowerCase() !== 'so') continue
    const value = percentDecode(param.slice(equals + 1))
    if (value === undefined) return undefined
    for (const item of value.split(',')) {
      const match = /^\s*(\d{1,9})(?:\s*-\s*(\d{1,9}))?\s*$/.exec(item)
      if (match === null) return undefined
      const first = Number(match[1])
      const last = match[2] === undefined ? first : Number(match[2])
      if (last < first) return undefined
      for (let index = first; index <= last && selected.size < SELECT_ONLY_INDICES_MAX; index++) {
        selected.add(index)
      }
    }
    seen = true
  }
  return seen ? [...selected].sort((a, b) => a - b) : undefined
}

/**
 * Per-file priorities (one per `files` entry) for a `so` selection: 4 (the default) for the
 * selected files and pad files, 0 for the rest; undefined when it selects no real file.
 */
export function prioritiesFromSelectOnly(
  files: readonly MetainfoFile[],
  selected: readonly number[],
): number[] | undefined {
  const wanted = new Set(selected)
  if (!files.some((file, index) => !file.pad && wanted.has(index))) return undefined
  return files.map((file, index) => (file.pad || wanted.has(index) ? 4 : 0))
}

import type { Split } from './types.js'

/**
 * Input splits, as Hadoop's FileInputFormat cuts them: each file is cut into byte ranges of at
 * most `splitBytes` (the last range of a file may be up to 10 % longer rather than leave a sliver,
 * Hadoop's SPLIT_SLOP), and empty files yield no split.
 *
 * Ranges ignore line boundaries; the reader restores them (Hadoop's LineRecordReader rule): a
 * split owns every line whose first byte lies inside its range, so it skips a partial first line
 * and reads past its end to finish its last one. Every line is thus read by exactly one split.
 */

export const SPLIT_SLOP = 1.1

/** The default split size's bounds and the map task count it aims at. */
export const MAX_DEFAULT_SPLIT_BYTES = 32 * 1024 * 1024
export const MIN_DEFAULT_SPLIT_BYTES = 1024 * 1024
export const TARGET_MAP_TASKS = 16

/**
 * The split size when the user names none: enough map tasks (TARGET_MAP_TASKS) to keep every
 * worker busy and to balance the end of the map phase, but splits no smaller than needed. Each
 * map task costs in proportion to its distinct keys (sorting, combining, and one shuffle record
 * per key and map: a 1 GiB word count in 2 MiB splits shuffles 16 times the records it does in
 * 32 MiB ones), so small splits are only worth it while there are too few of them.
 */
export function defaultSplitBytes(totalBytes: number): number {
  const even = Math.ceil(totalBytes / TARGET_MAP_TASKS)
  return Math.min(MAX_DEFAULT_SPLIT_BYTES, Math.max(MIN_DEFAULT_SPLIT_BYTES, even))
}

export interface InputFile {
  readonly path: string
  readonly size: number
  readonly hosts?: readonly string[]
}

export function planSplits(files: readonly InputFile[], splitBytes: number): Split[] {
  if (!(splitBytes >= 1)) throw new RangeError('splitBytes must be at least 1')
  const splits: Split[] = []
  for (const file of files) {
    const hosts = file.hosts ?? []
    let remaining = file.size
    let start = 0
    while (remaining / splitBytes > SPLIT_SLOP) {
      splits.push({ path: file.path, start, length: splitBytes, hosts })
      start += splitBytes
      remaining -= splitBytes
    }
    if (remaining > 0) splits.push({ path: file.path, start, length: remaining, hosts })
  }
  return splits
}

/**
 * The lines a split owns, given the bytes of its file from `from` on (`from` is `start - 1`,
 * or 0 for the first split, so that the reader can see whether `start` begins a line) up to at
 * least the end of the last line it owns. Lines lose their `\n` and a `\r` before it.
 *
 * Returns the owned lines and whether `bytes` ran out before the last owned line ended (the
 * caller then reads more and calls again with a longer buffer).
 */
export function ownedLineRanges(
  bytes: Uint8Array,
  from: number,
  split: { readonly start: number; readonly length: number },
  atEndOfFile: boolean,
): { readonly ranges: [number, number][]; readonly complete: boolean } {
  const end = split.start + split.length
  let position = split.start - from
  if (split.start > 0) {
    // The byte before `start` tells whether a line begins exactly at `start`.
    if (bytes[position - 1] !== 0x0a) {
      const newline = bytes.indexOf(0x0a, position)
      if (newline < 0) return { ranges: [], complete: atEndOfFile }
      position = newline + 1
    }
  }
  const ranges: [number, number][] = []
  while (position + from < end && position < bytes.length) {
    const newline = bytes.indexOf(0x0a, position)
    if (newline < 0) {
      if (!atEndOfFile) return { ranges, complete: false }
      ranges.push(trimCr(bytes, position, bytes.length))
      position = bytes.length
      break
    }
    ranges.push(trimCr(bytes, position, newline))
    position = newline + 1
  }
  if (position + from < end && !atEndOfFile) return { ranges, complete: false }
  return { ranges, complete: true }
}

const trimCr = (bytes: Uint8Array, start: number, end: number): [number, number] =>
  end > start && bytes[end - 1] === 0x0d ? [start, end - 1] : [start, end]

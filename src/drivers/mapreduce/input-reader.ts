import { open } from 'node:fs/promises'
import { ownedLineRanges, type Split } from '../../protocols/mapreduce/index.js'
import { TaskError } from './program.js'

const EXTEND_BYTES = 64 * 1024

/**
 * Reads the lines a split owns (splits.ts: the lines whose first byte lies in its range) and
 * returns them joined, each ending in `\n`. A file that vanished or shrank fails the attempt.
 */
export async function readSplit(split: Split): Promise<Buffer> {
  let handle
  try {
    handle = await open(split.path, 'r')
  } catch (error) {
    throw new TaskError(
      `input ${split.path} is unreadable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    )
  }
  try {
    const size = (await handle.stat()).size
    if (size < split.start + split.length) {
      throw new TaskError(
        `input ${split.path} shrank to ${size} bytes, the split ends at ${split.start + split.length}`,
      )
    }
    const from = split.start === 0 ? 0 : split.start - 1
    let wanted = Math.min(size, split.start + split.length + EXTEND_BYTES) - from
    for (;;) {
      const bytes = Buffer.allocUnsafe(wanted)
      const { bytesRead } = await handle.read(bytes, 0, wanted, from)
      const data = bytes.subarray(0, bytesRead)
      const atEnd = from + bytesRead >= size
      const owned = ownedLineRanges(data, from, split, atEnd)
      if (owned.complete) return joinLines(data, owned.ranges)
      wanted = Math.min(size - from, wanted * 2)
    }
  } finally {
    await handle.close()
  }
}

function joinLines(data: Buffer, ranges: readonly [number, number][]): Buffer {
  if (ranges.length === 0) return Buffer.alloc(0)
  const first = ranges[0] as [number, number]
  const last = ranges[ranges.length - 1] as [number, number]
  // The common case (no CR to drop, a newline after the last line): one contiguous slice.
  const contiguous = ranges.every(
    (range, i) => i === 0 || range[0] === (ranges[i - 1] as [number, number])[1] + 1,
  )
  if (contiguous && data[last[1]] === 0x0a) return data.subarray(first[0], last[1] + 1)
  const parts: Buffer[] = []
  for (const [start, end] of ranges) parts.push(data.subarray(start, end), NEWLINE)
  return Buffer.concat(parts)
}

const NEWLINE = Buffer.from('\n')

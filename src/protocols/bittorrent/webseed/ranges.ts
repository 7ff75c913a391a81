/**
 * From the blocks the picker hands a web seed to the HTTP requests that fetch them. Blocks
 * that follow each other in the torrent's payload are merged into one run (one or more
 * pieces' worth of bytes), and a run becomes one part per file it crosses: an HTTP Range
 * request for a real file, zeros for a BEP 47 pad file (never on the server: libtorrent and
 * mktorrent omit them there, so asking for them would 404).
 */
import type { Block } from '../picker/index.js'
import { filesInRange, type Metainfo } from '../metainfo/index.js'

/** Contiguous torrent bytes `[offset, offset + length)`, made of whole blocks. */
export interface Run {
  readonly offset: number
  readonly length: number
  readonly blocks: readonly Block[]
}

/** One part of a run: bytes of one file at `fileOffset`, going to `at` within the run. */
export interface RunPart {
  readonly fileIndex: number
  readonly fileOffset: number
  readonly length: number
  /** Offset of the part within its run. */
  readonly at: number
  /** A pad file: its bytes are zeros, nothing is fetched. */
  readonly pad: boolean
}

/** The blocks (any order) as runs of adjacent blocks, in payload order. O(b log b). */
export function runsOf(m: Metainfo, blocks: readonly Block[]): Run[] {
  const sorted = [...blocks].sort((a, b) => startOf(m, a) - startOf(m, b))
  const runs: Run[] = []
  let current: Block[] = []
  let offset = 0
  let end = 0
  for (const block of sorted) {
    const start = startOf(m, block)
    if (current.length > 0 && start === end) {
      current.push(block)
      end += block.length
      continue
    }
    if (current.length > 0) runs.push({ offset, length: end - offset, blocks: current })
    current = [block]
    offset = start
    end = start + block.length
  }
  if (current.length > 0) runs.push({ offset, length: end - offset, blocks: current })
  return runs
}

/** The run's parts, one per file segment, in order; their lengths sum to the run's. */
export function partsOf(m: Metainfo, run: Run): RunPart[] {
  let at = 0
  return filesInRange(m, run.offset, run.length).map((segment) => {
    const part: RunPart = {
      fileIndex: segment.fileIndex,
      fileOffset: segment.fileOffset,
      length: segment.length,
      at,
      pad: m.files[segment.fileIndex]?.pad === true,
    }
    at += segment.length
    return part
  })
}

/** The HTTP Range header value for a part (inclusive end, RFC 9110 §14.1.2). */
export function rangeHeaderOf(part: RunPart): string {
  return `bytes=${part.fileOffset}-${part.fileOffset + part.length - 1}`
}

function startOf(m: Metainfo, block: Block): number {
  return block.piece * m.pieceLength + block.begin
}

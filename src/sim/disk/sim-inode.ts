import type { ByteRange, RangeSet } from './range-set.js'
import {
  alignedBytes,
  fillSynthetic,
  matchesSynthetic,
  sharedSyntheticView,
  syntheticBytes,
} from './synthetic.js'

/**
 * The content of one simulated file, independent of its name (POSIX keeps an inode alive while
 * a handle is open, even after rename or unlink, and so do we).
 *
 * Bytes are stored sparsely in fixed-size chunks that exist only where something non-trivial
 * was written. Where no chunk exists the file reads its *base*: zeros for an ordinary file;
 * for a synthetic file, the generated pattern on the ranges marked present and zeros elsewhere.
 * A write that equals the base costs no memory (it only marks the range present); a write that
 * differs materialises the chunk, which from then on is authoritative for its whole region.
 *
 * Invariant: no byte at or beyond `size` is non-zero, whether in a chunk or a present range,
 * so growing a file always exposes zeros, as on a real file system.
 */

/** Storage granularity: one chunk per region of this many bytes that holds stored bytes. */
export const CHUNK_BYTES = 64 * 1024

export interface SyntheticBase {
  readonly seed: number
  /** Ranges whose generated content is there: seeded at creation, or written since. */
  readonly present: RangeSet
  /** Bound on this file's stored chunks, which only writes that differ from the pattern use. */
  readonly overlayBytesMax: number
  /**
   * Reads of the pattern that fit in one cached chunk return a shared view instead of a fresh
   * copy (`sharedSyntheticView`): for readers that never write into what they read.
   */
  readonly sharedReads?: boolean
}

interface Segment {
  /** Chunk index, and the file offsets [from, to) that fall inside that chunk. */
  readonly index: number
  readonly from: number
  readonly to: number
}

function* segments(from: number, to: number): Generator<Segment> {
  for (let at = from; at < to;) {
    const index = Math.floor(at / CHUNK_BYTES)
    const end = Math.min(to, (index + 1) * CHUNK_BYTES)
    yield { index, from: at, to: end }
    at = end
  }
}

const allZero = (bytes: Uint8Array): boolean => bytes.every((byte) => byte === 0)

/**
 * The simulator's stand-in for an mtime: every change to any inode takes the next value, so
 * two different contents never share one (only equality is ever compared).
 */
let lastChange = 0

export class SimInode {
  readonly kind = 'file'
  private length: number
  private readonly chunks = new Map<number, Uint8Array>()
  private changed = ++lastChange

  constructor(
    private readonly synthetic: SyntheticBase | undefined,
    size: number,
  ) {
    this.length = size
  }

  /** Changes with every write and truncate (FileStat.modified). */
  get modified(): number {
    return this.changed
  }

  get size(): number {
    return this.length
  }

  get bytesStored(): number {
    return this.chunks.size * CHUNK_BYTES
  }

  /** Up to `length` bytes at `position`; fewer only at end of file. */
  read(position: number, length: number): Uint8Array {
    const end = Math.min(this.length, position + length)
    if (position >= end) return new Uint8Array(0)
    const shared = this.sharedRead(position, end)
    if (shared !== undefined) return shared
    // Aligned like the file offset, so synthetic fills take the fast word path.
    const out = alignedBytes(end - position, position)
    for (const segment of segments(position, end)) {
      const target = out.subarray(segment.from - position, segment.to - position)
      const chunk = this.chunks.get(segment.index)
      const chunkStart = segment.index * CHUNK_BYTES
      if (chunk === undefined) this.readBase(segment.from, segment.to, target)
      else target.set(chunk.subarray(segment.from - chunkStart, segment.to - chunkStart))
    }
    return out
  }

  /** A shared view of the pattern for [position, end), when allowed and nothing overlays it. */
  private sharedRead(position: number, end: number): Uint8Array | undefined {
    const base = this.synthetic
    if (base?.sharedReads !== true) return undefined
    const index = Math.floor(position / CHUNK_BYTES)
    if (end > (index + 1) * CHUNK_BYTES || this.chunks.has(index)) return undefined
    if (!base.present.covers(position, end)) return undefined
    return sharedSyntheticView(base.seed, position, end - position)
  }

  /**
   * Writes all of `bytes` at `position`. Returns false and changes nothing when the write
   * would take a synthetic file's stored chunks past `overlayBytesMax`.
   */
  write(position: number, bytes: Uint8Array): boolean {
    if (bytes.length === 0) return true // as pwrite(2): an empty write does not extend the file
    const plan = [...segments(position, position + bytes.length)].map((segment) => {
      const part = bytes.subarray(segment.from - position, segment.to - position)
      return { ...segment, part, store: this.needsChunk(segment, part) }
    })
    if (this.synthetic !== undefined) {
      const added = plan.filter((step) => step.store && !this.chunks.has(step.index)).length
      const after = (this.chunks.size + added) * CHUNK_BYTES
      if (after > this.synthetic.overlayBytesMax) return false
    }
    for (const step of plan) {
      if (!step.store) this.synthetic?.present.add(step.from, step.to)
      else this.chunkFor(step.index).set(step.part, step.from - step.index * CHUNK_BYTES)
    }
    this.length = Math.max(this.length, position + bytes.length)
    this.changed = ++lastChange
    for (const step of plan) if (step.store) this.dropIfBase(step.index)
    return true
  }

  truncate(size: number): void {
    if (size < this.length) {
      for (const [index, chunk] of this.chunks) {
        const chunkStart = index * CHUNK_BYTES
        if (chunkStart >= size) this.chunks.delete(index)
        else if (chunkStart + CHUNK_BYTES > size) chunk.fill(0, size - chunkStart)
      }
      this.synthetic?.present.clipTo(size)
    }
    this.length = size
    this.changed = ++lastChange
  }

  /**
   * Fills `target`, a fresh (zeroed) array, with what offsets [from, to) read as when no chunk
   * covers them.
   */
  private readBase(from: number, to: number, target: Uint8Array): void {
    if (this.synthetic === undefined) return
    for (const [start, end] of this.synthetic.present.intersect(from, to)) {
      fillSynthetic(this.synthetic.seed, start, target.subarray(start - from, end - from))
    }
  }

  private needsChunk(segment: Segment, part: Uint8Array): boolean {
    if (this.chunks.has(segment.index)) return true
    if (this.synthetic === undefined) return !allZero(part)
    return !matchesSynthetic(this.synthetic.seed, segment.from, part)
  }

  private chunkFor(index: number): Uint8Array {
    let chunk = this.chunks.get(index)
    if (chunk === undefined) {
      chunk = new Uint8Array(CHUNK_BYTES)
      this.readBase(index * CHUNK_BYTES, (index + 1) * CHUNK_BYTES, chunk)
      this.chunks.set(index, chunk)
    }
    return chunk
  }

  /**
   * Frees a synthetic file's chunk once every byte in it is either the pattern or a hole
   * (zero), as after a corrupted block is downloaded again, so the overlay does not fill up
   * over a long run. The chunk's pattern runs become present ranges and its holes stop being
   * present, so the file reads exactly as it did with the chunk.
   */
  private dropIfBase(index: number): void {
    const chunk = this.chunks.get(index)
    if (this.synthetic === undefined || chunk === undefined) return
    const start = index * CHUNK_BYTES
    const end = Math.min(this.length, start + CHUNK_BYTES)
    const expected = syntheticBytes(this.synthetic.seed, start, end - start)
    // Split into alternating runs, staying in the current kind of run while the byte allows,
    // so a zero byte of the pattern does not cut a pattern run in two (or a hole in two).
    const patternRuns: ByteRange[] = []
    let inPattern = false
    let runStart = 0
    for (let i = 0; i < end - start; i++) {
      const byte = chunk[i]
      if (inPattern ? byte === expected[i] : byte === 0) continue
      if (!(inPattern ? byte === 0 : byte === expected[i])) return // real data: keep the chunk
      if (inPattern) patternRuns.push([start + runStart, start + i])
      inPattern = !inPattern
      runStart = i
    }
    if (inPattern) patternRuns.push([start + runStart, end])
    this.chunks.delete(index)
    this.synthetic.present.remove(start, end)
    for (const [from, to] of patternRuns) this.synthetic.present.add(from, to)
  }
}

/**
 * Which byte range each source of a multi-source download fetches next. The file is cut into
 * fixed chunks; a source holds at most one chunk at a time. A source that fails, or makes no
 * progress for `stallMs`, gives its chunk back (the bytes it had sent for it are discarded)
 * and gets no more: the other sources take the chunk. Pure: time is an input.
 */
import type { Instant } from '../../../core/time.js'

/** Bytes `start` (inclusive) to `end` (exclusive). */
export interface ByteRange {
  readonly start: number
  readonly end: number
}

interface Assignment {
  readonly chunk: number
  lastProgressAt: Instant
}

export class DownloadPlan {
  private readonly missing: number[] = []
  private readonly assigned = new Map<string, Assignment>()
  private readonly dropped = new Set<string>()
  private doneChunks = 0
  readonly chunks: number

  constructor(
    readonly length: number,
    readonly chunkBytes: number,
    readonly stallMs: number,
  ) {
    if (!(chunkBytes > 0)) throw new RangeError('chunkBytes must be positive')
    this.chunks = Math.ceil(length / chunkBytes)
    for (let i = 0; i < this.chunks; i++) this.missing.push(i)
  }

  rangeOf(chunk: number): ByteRange {
    const start = chunk * this.chunkBytes
    return { start, end: Math.min(this.length, start + this.chunkBytes) }
  }

  /** The next range for an idle `source`, or undefined (nothing left, or source dropped). */
  next(source: string, now: Instant): ByteRange | undefined {
    if (this.dropped.has(source) || this.assigned.has(source)) return undefined
    const chunk = this.missing.shift()
    if (chunk === undefined) return undefined
    this.assigned.set(source, { chunk, lastProgressAt: now })
    return this.rangeOf(chunk)
  }

  /** Bytes arrived from `source` for its chunk. */
  progress(source: string, now: Instant): void {
    const a = this.assigned.get(source)
    if (a !== undefined) a.lastProgressAt = now
  }

  /** `source` delivered its whole chunk (written and checked by the caller). */
  completed(source: string): void {
    if (this.assigned.delete(source)) this.doneChunks++
  }

  /** `source` died or misbehaved: its chunk goes back first in line; it gets no more. */
  failed(source: string): void {
    this.dropped.add(source)
    const a = this.assigned.get(source)
    if (a === undefined) return
    this.assigned.delete(source)
    this.missing.unshift(a.chunk)
  }

  /** Sources holding a chunk without progress for `stallMs` (the caller aborts and fails them). */
  stalled(now: Instant): string[] {
    return [...this.assigned.entries()]
      .filter(([, a]) => now - a.lastProgressAt >= this.stallMs)
      .map(([source]) => source)
  }

  isDropped(source: string): boolean {
    return this.dropped.has(source)
  }

  get done(): boolean {
    return this.doneChunks === this.chunks
  }

  /** Chunks nobody holds yet. */
  get unassigned(): number {
    return this.missing.length
  }
}

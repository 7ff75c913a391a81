/**
 * Whole verified pieces kept in memory for uploading. A peer asks for a piece's blocks one
 * after another, so reading the piece once and answering every block from it turns 64 disk
 * reads of 16 KiB (a 1 MiB piece) into one: profiling a seed showed the per-read thread-pool
 * dispatch as its largest cost. Blocks handed out are views of the cached piece (no copy).
 *
 * Only verified bytes enter: a piece read back is hashed before it is cached (the storage's
 * `checkUpload`), and a piece just downloaded may be `offer`ed the very blocks its hash was
 * computed over, so a leecher serves what it just verified without reading and hashing it
 * again. Those bytes never change, so an entry stays valid until `forget` (the piece was
 * withdrawn) or eviction. A piece is held as the parts it came in (the blocks as received, or
 * one read), never joined: a block is a view of one part, copied only if it spans two. Least
 * recently used pieces go first once `bytesMax` is passed. Concurrent requests for a piece
 * being read wait for that one read. A failed read is not cached: every waiter gets the error.
 */
import type { Callback } from '../../../core/env.js'
import type { OperationalError } from '../../../core/errors.js'
import { err, ok, type Result } from '../../../core/result.js'

/** A piece's bytes as parts in payload order. */
export type PieceParts = readonly Uint8Array[]

interface Entry {
  /** The piece's bytes; undefined while the read is in flight. */
  parts: PieceParts | undefined
  readonly waiters: Callback<PieceParts>[]
  /** Bumped by `forget`: a read that finishes for an older generation is not cached. */
  readonly generation: number
}

export class PieceReadCache {
  /** Map order is recency order: the first entry is the least recently used. */
  private readonly entries = new Map<number, Entry>()
  private held = 0
  private generation = 0
  private hitCount = 0
  private missCount = 0

  constructor(private readonly bytesMax: number) {}

  get bytesHeld(): number {
    return this.held
  }

  get hits(): number {
    return this.hitCount
  }

  get misses(): number {
    return this.missCount
  }

  /**
   * Calls `done` with piece `index`'s bytes, from memory or from `read` (called at most once
   * per miss, however many callers wait). `done` may run synchronously on a hit: callers keep
   * the ports' asynchrony themselves.
   */
  piece(
    index: number,
    read: (done: Callback<PieceParts>) => void,
    done: Callback<PieceParts>,
  ): void {
    const cached = this.entries.get(index)
    if (cached !== undefined) {
      if (cached.parts === undefined) return void cached.waiters.push(done)
      this.hitCount++
      this.entries.delete(index)
      this.entries.set(index, cached)
      return done(ok(cached.parts))
    }
    this.missCount++
    const entry: Entry = { parts: undefined, waiters: [done], generation: this.generation }
    this.entries.set(index, entry)
    read((result) => {
      const current = this.entries.get(index) === entry && entry.generation === this.generation
      if (!result.ok || !current) {
        if (this.entries.get(index) === entry) this.entries.delete(index)
        return this.answer(entry, result.ok ? ok(result.value) : err(result.error))
      }
      this.keep(index, entry, result.value)
      this.answer(entry, ok(result.value))
    })
  }

  /**
   * Caches piece `index` from bytes just verified (the caller hashed exactly these and keeps
   * them unmodified from now on). A piece cached or being read already is left as it is.
   */
  offer(index: number, parts: PieceParts): void {
    if (this.entries.has(index)) return
    const entry: Entry = { parts: undefined, waiters: [], generation: this.generation }
    this.entries.set(index, entry)
    this.keep(index, entry, parts)
  }

  /** Drops piece `index` (its data was found bad or missing); a read in flight is not kept. */
  forget(index: number): void {
    const entry = this.entries.get(index)
    if (entry === undefined) return
    this.entries.delete(index)
    if (entry.parts !== undefined) this.held -= byteLength(entry.parts)
    this.generation++
  }

  private keep(index: number, entry: Entry, parts: PieceParts): void {
    entry.parts = parts
    this.held += byteLength(parts)
    this.evict(index)
  }

  private answer(entry: Entry, result: Result<PieceParts, OperationalError>): void {
    const waiters = entry.waiters.splice(0)
    for (const waiter of waiters) waiter(result)
  }

  /** Evicts least recently used pieces (never `keep`, just read) until within the budget. */
  private evict(keep: number): void {
    for (const [index, entry] of this.entries) {
      if (this.held <= this.bytesMax) return
      if (index === keep || entry.parts === undefined) continue
      this.entries.delete(index)
      this.held -= byteLength(entry.parts)
    }
  }
}

function byteLength(parts: PieceParts): number {
  let total = 0
  for (const part of parts) total += part.length
  return total
}

/**
 * Bytes `[begin, begin + length)` of a piece held as `parts`: a view when one part holds them
 * (blocks are requested on the boundaries they were received on), else a copy joining them.
 */
export function rangeOfParts(parts: PieceParts, begin: number, length: number): Uint8Array {
  let start = 0
  let first = 0
  while (first < parts.length && start + (parts[first] as Uint8Array).length <= begin) {
    start += (parts[first] as Uint8Array).length
    first++
  }
  const part = parts[first] as Uint8Array
  const within = begin - start
  if (within + length <= part.length) return part.subarray(within, within + length)
  const joined = new Uint8Array(length)
  let filled = 0
  for (let i = first; filled < length; i++) {
    const from = i === first ? within : 0
    const next = parts[i] as Uint8Array
    const count = Math.min(length - filled, next.length - from)
    joined.set(next.subarray(from, from + count), filled)
    filled += count
  }
  return joined
}

/**
 * Whole verified pieces kept in memory for uploading. A peer asks for a piece's blocks one
 * after another, so reading the piece once and answering every block from it turns 64 disk
 * reads of 16 KiB (a 1 MiB piece) into one: profiling a seed showed the per-read thread-pool
 * dispatch as its largest cost. Blocks handed out are views of the cached piece (no copy).
 *
 * Only verified pieces are read for uploading and their bytes never change, so an entry stays
 * valid until `forget` (the piece was withdrawn) or eviction. Least recently used pieces go
 * first once `bytesMax` is passed. Concurrent requests for a piece being read wait for that
 * one read. A failed read is not cached: every waiter gets the error.
 */
import type { Callback } from '../../../core/env.js'
import type { OperationalError } from '../../../core/errors.js'
import { err, ok, type Result } from '../../../core/result.js'

interface Entry {
  /** The piece's bytes; undefined while the read is in flight. */
  bytes: Uint8Array | undefined
  readonly waiters: Callback<Uint8Array>[]
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
    read: (done: Callback<Uint8Array>) => void,
    done: Callback<Uint8Array>,
  ): void {
    const cached = this.entries.get(index)
    if (cached !== undefined) {
      if (cached.bytes === undefined) return void cached.waiters.push(done)
      this.hitCount++
      this.entries.delete(index)
      this.entries.set(index, cached)
      return done(ok(cached.bytes))
    }
    this.missCount++
    const entry: Entry = { bytes: undefined, waiters: [done], generation: this.generation }
    this.entries.set(index, entry)
    read((result) => {
      const current = this.entries.get(index) === entry && entry.generation === this.generation
      if (!result.ok || !current) {
        if (this.entries.get(index) === entry) this.entries.delete(index)
        return this.answer(entry, result.ok ? ok(result.value) : err(result.error))
      }
      entry.bytes = result.value
      this.held += result.value.length
      this.evict(index)
      this.answer(entry, ok(result.value))
    })
  }

  /** Drops piece `index` (its data was found bad or missing); a read in flight is not kept. */
  forget(index: number): void {
    const entry = this.entries.get(index)
    if (entry === undefined) return
    this.entries.delete(index)
    if (entry.bytes !== undefined) this.held -= entry.bytes.length
    this.generation++
  }

  private answer(entry: Entry, result: Result<Uint8Array, OperationalError>): void {
    const waiters = entry.waiters.splice(0)
    for (const waiter of waiters) waiter(result)
  }

  /** Evicts least recently used pieces (never `keep`, just read) until within the budget. */
  private evict(keep: number): void {
    for (const [index, entry] of this.entries) {
      if (this.held <= this.bytesMax) return
      if (index === keep || entry.bytes === undefined) continue
      this.entries.delete(index)
      this.held -= entry.bytes.length
    }
  }
}

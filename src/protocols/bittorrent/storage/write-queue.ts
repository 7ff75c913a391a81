/**
 * The store's write FIFO and its counters. Entries are *runs*: blocks that are adjacent in the
 * torrent's payload, merged while they wait, so that a burst of blocks reaches the disk as one
 * vectored write per file instead of one write per 16 KiB block (each write costs a thread-pool
 * dispatch, which profiling showed to be the leecher's largest main-thread cost). Only the last
 * waiting run grows: blocks of one piece arrive in order from one peer, so that catches the
 * common case without searching, and a run that is already in flight is never touched.
 *
 * A run is waiting until `next()` hands it out and in flight until `complete()`; its bytes
 * count toward the backlog for that whole time. The array is compacted as it drains.
 */
import type { Callback } from '../../../core/env.js'
import { assert } from '../../../core/errors.js'

export interface QueuedBlock {
  readonly bytes: Uint8Array
  readonly done: Callback<void>
}

export interface QueuedRun {
  /** Payload offset of the run's first byte (pieces back to back). */
  readonly offset: number
  length: number
  readonly blocks: QueuedBlock[]
}

/** Handed-out entries at the front are dropped in one splice once this many accumulate. */
const COMPACT_AFTER = 1024

export interface RunBounds {
  /** A run stops growing at this many bytes... */
  readonly bytesMax: number
  /** ...or this many blocks (an iovec count far below IOV_MAX). */
  readonly blocksMax: number
}

export class WriteQueue {
  private readonly entries: QueuedRun[] = []
  private head = 0
  private inFlightCount = 0
  private bytes = 0

  constructor(private readonly bounds: RunBounds) {}

  /** Queues a block at payload `offset`, merged into the last waiting run when adjacent. */
  push(offset: number, block: QueuedBlock): void {
    this.bytes += block.bytes.length
    const last = this.head < this.entries.length ? this.entries[this.entries.length - 1] : undefined
    if (
      last !== undefined &&
      last.offset + last.length === offset &&
      last.length + block.bytes.length <= this.bounds.bytesMax &&
      last.blocks.length < this.bounds.blocksMax
    ) {
      last.blocks.push(block)
      last.length += block.bytes.length
      return
    }
    this.entries.push({ offset, length: block.bytes.length, blocks: [block] })
  }

  /** The oldest waiting run, now counted in flight; undefined when none waits. */
  next(): QueuedRun | undefined {
    if (this.head === this.entries.length) return undefined
    const run = this.entries[this.head] as QueuedRun
    this.head++
    if (this.head === this.entries.length) {
      this.entries.length = 0
      this.head = 0
    } else if (this.head >= COMPACT_AFTER) {
      this.entries.splice(0, this.head)
      this.head = 0
    }
    this.inFlightCount++
    return run
  }

  /** A run handed out by `next` has finished, with or without success. */
  complete(run: QueuedRun): void {
    assert(this.inFlightCount > 0, 'complete without a write in flight')
    this.inFlightCount--
    this.bytes -= run.length
  }

  /** Runs handed to the disk and not yet completed. */
  get inFlight(): number {
    return this.inFlightCount
  }

  /** Runs waiting (each one or more blocks). */
  get waiting(): number {
    return this.entries.length - this.head
  }

  get backlogBytes(): number {
    return this.bytes
  }
}

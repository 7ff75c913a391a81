/**
 * The store's write FIFO and its counters. A block is waiting until `next()` hands it out and
 * in flight until `complete()`; its bytes count toward the backlog for that whole time. The
 * array is compacted as it drains, so a long download does not keep a growing array alive.
 */
import type { Callback } from '../../../core/env.js'
import { assert } from '../../../core/errors.js'
import type { FileSegment } from '../metainfo/index.js'

export interface QueuedWrite {
  readonly segments: readonly FileSegment[]
  readonly bytes: Uint8Array
  readonly done: Callback<void>
}

/** Handed-out entries at the front are dropped in one splice once this many accumulate. */
const COMPACT_AFTER = 1024

export class WriteQueue {
  private readonly entries: QueuedWrite[] = []
  private head = 0
  private inFlightCount = 0
  private bytes = 0

  push(write: QueuedWrite): void {
    this.entries.push(write)
    this.bytes += write.bytes.length
  }

  /** The oldest waiting write, now counted in flight; undefined when none waits. */
  next(): QueuedWrite | undefined {
    if (this.head === this.entries.length) return undefined
    const write = this.entries[this.head] as QueuedWrite
    this.head++
    if (this.head === this.entries.length) {
      this.entries.length = 0
      this.head = 0
    } else if (this.head >= COMPACT_AFTER) {
      this.entries.splice(0, this.head)
      this.head = 0
    }
    this.inFlightCount++
    return write
  }

  /** A write handed out by `next` has finished, with or without success. */
  complete(write: QueuedWrite): void {
    assert(this.inFlightCount > 0, 'complete without a write in flight')
    this.inFlightCount--
    this.bytes -= write.bytes.length
  }

  get inFlight(): number {
    return this.inFlightCount
  }

  get waiting(): number {
    return this.entries.length - this.head
  }

  get backlogBytes(): number {
    return this.bytes
  }
}

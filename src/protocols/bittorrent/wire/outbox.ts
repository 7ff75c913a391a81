/**
 * Encoded bytes waiting for the driver. Small messages (and the 13-byte head of each `piece`)
 * are written back to back into a scratch buffer, so a burst of `request`s is one allocation and
 * one segment; large byte fields (a block, a big bitfield) are queued by reference behind their
 * head, never copied. Segments handed out are never written again, so the driver owns them.
 */
import { frameHeadBytes, frameTail, writeFrameHead } from './encode.js'
import { OUTBOX_COPY_BYTES_MAX, OUTBOX_SCRATCH_BYTES } from './limits.js'
import type { WireMessage } from './messages.js'

/** The first scratch's size: a handshake, an extended handshake and a bitfield fit. */
const OUTBOX_FIRST_SCRATCH_BYTES = 512

export class Outbox {
  private scratch = new Uint8Array(0)
  /** Scratch bytes before this offset are already in `segments`. */
  private sealed = 0
  private used = 0
  private segments: Uint8Array[] = []
  private queued = 0

  /** Bytes queued and not yet taken. */
  get bytes(): number {
    return this.queued
  }

  /** Queues the encoding of `message`; returns its size in bytes. */
  write(message: WireMessage): number {
    const head = frameHeadBytes(message)
    const tail = frameTail(message)
    const copied = tail !== undefined && tail.length <= OUTBOX_COPY_BYTES_MAX ? tail : undefined
    const inline = head + (copied?.length ?? 0)
    if (this.scratch.length - this.used < inline) this.renew(inline)
    const at = writeFrameHead(message, this.scratch, this.used)
    if (copied !== undefined) this.scratch.set(copied, at)
    this.used += inline
    const size = head + (tail?.length ?? 0)
    this.queued += size
    if (tail !== undefined && copied === undefined) {
      this.seal()
      this.segments.push(tail)
    }
    return size
  }

  /** Everything queued, in order; the outbox is empty afterwards. */
  take(): Uint8Array[] {
    this.seal()
    const segments = this.segments
    this.segments = []
    this.queued = 0
    return segments
  }

  private seal(): void {
    if (this.used === this.sealed) return
    this.segments.push(this.scratch.subarray(this.sealed, this.used))
    this.sealed = this.used
  }

  /**
   * A fresh scratch: small for a new connection (a handshake and a few messages, and most
   * connections in a big swarm never get further), doubling with use up to the full size.
   */
  private renew(bytes: number): void {
    this.seal()
    const grown = Math.min(
      OUTBOX_SCRATCH_BYTES,
      Math.max(OUTBOX_FIRST_SCRATCH_BYTES, this.scratch.length * 2),
    )
    this.scratch = new Uint8Array(Math.max(grown, bytes))
    this.sealed = 0
    this.used = 0
  }
}

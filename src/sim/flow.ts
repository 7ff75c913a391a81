import type { NetHost } from './net-host.js'
import type { SimNetwork } from './network.js'
import type { EventId } from './scheduler.js'
import type { StreamEnd } from './stream-end.js'

/**
 * One direction of a stream: the sender's buffer and the bytes' way across the network.
 *
 * Bytes leave in chunks (at most `chunkBytes`). While a flow has a chunk to send it is *active*
 * and holds a rate from the bandwidth allocator (max-min fair share of its sender's upload and
 * its receiver's download). A chunk's completion is one event at `since + remaining / rate`;
 * when the rate changes mid-chunk, the bytes already serialised are credited and the completion
 * is moved (a fluid model at chunk granularity). A completed chunk arrives one latency later.
 *
 * The receiver's window bounds the bytes in flight plus those the receiver holds undelivered
 * (`receiveWindowBytes`, read with global knowledge), as TCP's advertised window bounds unacked
 * data: a stream moves at most a window per round trip, and a paused receiver stops its sender
 * once a window has piled up. A blocked sender hears of space one latency after it appears
 * (when the bytes arrive or the receiver reads them), as an ACK would tell it. Streams are
 * lossless (TCP recovers); the loss ratios apply to datagrams only.
 */

/** What a segment carries. */
export const SegmentKind = { Data: 0, Fin: 1, Reset: 2 } as const
export type SegmentKind = (typeof SegmentKind)[keyof typeof SegmentKind]

/** A chunk, FIN or RST in flight: the event context of its arrival. */
export interface Segment {
  readonly flow: Flow
  readonly kind: SegmentKind
  /**
   * The chunk's bytes as views of what the sender wrote, in order (none for FIN and RST). The
   * model never copies payload: a 100 GB swarm would spend most of its time in memcpy.
   */
  readonly parts: readonly Uint8Array[] | undefined
  /** Bytes in `parts`. */
  readonly size: number
  /** When it left the sender, so that a loss can be dated. */
  readonly sentAt: number
}

/** Receives a segment at the far end; set by stream-end.ts to avoid an import cycle. */
export type SegmentHandler = (segment: Segment) => void

export class Flow {
  /** Unsent bytes: `queue[head]` from `offset`, then the rest. */
  private queue: Uint8Array[] = []
  private head = 0
  private offset = 0
  queuedBytes = 0
  /** Sent and not yet arrived: counts against the receiver's window, as unacked data does. */
  inFlightBytes = 0
  finQueued = false
  finSent = false
  /** No further transmission of any kind (destroyed, reset, timed out, crashed). */
  aborted = false
  /** Waiting for a retransmission to be answered: sends nothing. */
  stalled = false
  windowBlocked = false
  windowUpdatePending = false

  /** Registered with the allocator (holds a share). */
  active = false
  rate = 0
  private chunk = 0
  private chunkDone = 0
  private since = 0
  private completion: EventId | undefined = undefined
  /** When the last segment posted arrives: later segments never arrive before it. */
  private lastArrivalAt = 0

  /** Allocator bookkeeping: positions in the hosts' lists, BFS epoch, local number. */
  upSlot = -1
  downSlot = -1
  epoch = 0
  localIndex = 0

  constructor(
    readonly network: SimNetwork,
    readonly from: StreamEnd,
    readonly srcHost: NetHost,
    readonly dstHost: NetHost,
    readonly latencyMs: number,
    private readonly arrive: SegmentHandler,
  ) {}

  /**
   * Queues bytes (kept by reference: the writer must leave them alone). With `corked`, sending
   * waits for the next `kick`, so that one burst of writes leaves as one chunk.
   */
  write(bytes: Uint8Array, corked = false): void {
    if (this.aborted || bytes.length === 0) return
    this.queue.push(bytes)
    this.queuedBytes += bytes.length
    if (!corked) this.kick()
  }

  queueFin(): void {
    if (this.aborted || this.finQueued) return
    this.finQueued = true
    this.kick()
  }

  /** Starts sending if there is something to send and nothing stops it. */
  kick(): void {
    if (this.aborted || this.stalled || this.chunk > 0) return
    if (this.queuedBytes > 0) {
      const space = this.windowSpace()
      if (space <= 0) this.windowBlocked = true
      else if (this.isSparse(space)) this.sendSparse()
      else this.startChunk()
      return
    }
    if (this.finQueued && !this.finSent) this.sendFin()
  }

  /** The receiver drained: called one latency after, as a window update would arrive. */
  windowOpened(): void {
    this.windowUpdatePending = false
    this.windowBlocked = false
    this.kick()
  }

  /** The allocator's new share for this flow (bytes per second). */
  setRate(rate: number): void {
    if (this.chunk === 0 || this.aborted) {
      this.rate = rate
      return
    }
    const now = this.network.scheduler.now()
    if (this.completion !== undefined && Math.abs(rate - this.rate) <= rate * 1e-12) return
    if (this.completion === undefined && rate === this.rate && rate <= 0) return
    if (this.rate > 0) this.chunkDone += ((now - this.since) * this.rate) / 1000
    if (this.chunkDone > this.chunk) this.chunkDone = this.chunk
    this.since = now
    this.rate = rate
    this.scheduleCompletion()
  }

  /** Sends RST now, whatever the flow's state (a reset needs no bandwidth). */
  sendReset(): void {
    this.post(SegmentKind.Reset, undefined, 0)
  }

  /** Stops for good and drops what is queued. */
  abort(): void {
    this.aborted = true
    this.stopChunk()
    this.queue = []
    this.head = 0
    this.offset = 0
    this.queuedBytes = 0
  }

  /** A segment was lost at a vanished receiver: stop sending (the data stays queued). */
  stall(): void {
    this.stalled = true
    this.stopChunk()
  }

  /** Hands every queued byte over at once, then FIN: a host's graceful shutdown. */
  flushNow(): void {
    if (this.aborted) return
    this.stopChunk()
    const size = this.queuedBytes
    if (size > 0) this.post(SegmentKind.Data, this.take(size), size)
    if (!this.finSent) this.sendFin()
    this.aborted = true
  }

  /** Bytes the receiver's window still admits (global knowledge of its buffer). */
  private windowSpace(): number {
    const peer = this.from.peer
    const window = this.network.settings.receiveWindowBytes
    if (peer === undefined || peer.dead) return window
    return window - this.inFlightBytes - peer.receiveBuffered
  }

  /**
   * A few bytes on an idle flow (a request, a HAVE) skip the allocator: under the per-flow fair
   * queueing that max-min sharing models, a sparse flow's packet is served within one round,
   * without taking a share from the bulk flows. They leave at the sender's or the receiver's
   * full rate, whichever is lower. Giving each of them a share instead would re-solve the
   * neighbourhood twice per control message and move every bulk flow's completion.
   */
  private isSparse(space: number): boolean {
    const bytes = this.queuedBytes
    return !this.active && bytes <= this.network.settings.sparseBytesMax && bytes <= space
  }

  private sendSparse(): void {
    const size = this.queuedBytes
    const rate = Math.min(this.srcHost.uploadBytesPerSecond, this.dstHost.downloadBytesPerSecond)
    const leavesAt = this.network.scheduler.now() + (size * 1000) / rate
    this.post(SegmentKind.Data, this.take(size), size, leavesAt)
    this.from.afterSend()
    if (this.finQueued && !this.finSent && !this.aborted) this.sendFin()
  }

  private windowOpen(): boolean {
    return this.windowSpace() > 0
  }

  private startChunk(): void {
    this.chunk = this.chunkWithin(Math.min(this.network.settings.chunkBytes, this.windowSpace()))
    this.chunkDone = 0
    this.since = this.network.scheduler.now()
    if (!this.active) this.network.allocator.activate(this)
    else if (this.rate > 0) this.scheduleCompletion()
  }

  /**
   * The next chunk's size, at most `limit`: whole written buffers while they fit, so that a
   * message written as one buffer (a block) reaches the reader as one view; a buffer bigger
   * than the limit is cut.
   */
  private chunkWithin(limit: number): number {
    if (this.queuedBytes <= limit) return this.queuedBytes
    let size = (this.queue[this.head] as Uint8Array).length - this.offset
    if (size >= limit) return limit
    for (let i = this.head + 1; i < this.queue.length; i++) {
      const next = size + (this.queue[i] as Uint8Array).length
      if (next > limit) break
      size = next
    }
    return size
  }

  private scheduleCompletion(): void {
    const scheduler = this.network.scheduler
    if (this.completion !== undefined) scheduler.cancel(this.completion)
    this.completion = undefined
    // A zero share (a resource fully held by others, between exact passes) waits for the next.
    if (this.rate <= 0) return
    const at = this.since + ((this.chunk - this.chunkDone) * 1000) / this.rate
    this.completion = scheduler.schedule(at, completeChunk, this)
  }

  private stopChunk(): void {
    if (this.completion !== undefined) this.network.scheduler.cancel(this.completion)
    this.completion = undefined
    this.chunk = 0
    this.chunkDone = 0
    if (this.active) this.network.allocator.deactivate(this)
  }

  /** The completion event: the chunk has left; start the next or give the share back. */
  onChunkSent(): void {
    this.completion = undefined
    const size = this.chunk
    const parts = this.take(size)
    this.chunk = 0
    this.post(SegmentKind.Data, parts, size)
    this.from.afterSend()
    if (this.aborted || this.stalled) return
    if (this.queuedBytes > 0 && this.windowOpen()) return this.startChunk()
    if (this.queuedBytes > 0) this.windowBlocked = true
    this.network.allocator.deactivate(this)
    if (this.queuedBytes === 0 && this.finQueued && !this.finSent) this.sendFin()
  }

  private sendFin(): void {
    this.finSent = true
    this.post(SegmentKind.Fin, undefined, 0)
    this.from.afterSend()
  }

  /**
   * Sends a segment that left the sender at `leftAt` (default now). Arrivals are kept in
   * sending order even when a sparse segment's transmission time would let a later one
   * overtake it: streams deliver in order.
   */
  private post(
    kind: SegmentKind,
    parts: readonly Uint8Array[] | undefined,
    size: number,
    leftAt: number = this.network.scheduler.now(),
  ): void {
    const scheduler = this.network.scheduler
    const now = scheduler.now()
    if (size > 0) {
      this.inFlightBytes += size
      this.network.counters.streamBytesSent += size
      this.srcHost.streamBytesSent += size
    }
    const segment: Segment = { flow: this, kind, parts, size, sentAt: now }
    const at = Math.max(leftAt + this.latencyMs, this.lastArrivalAt)
    this.lastArrivalAt = at
    scheduler.schedule(at, this.arrive, segment)
  }

  /** Removes `count` queued bytes, as views of the buffers they sit in (never a copy). */
  private take(count: number): Uint8Array[] {
    this.queuedBytes -= count
    const parts: Uint8Array[] = []
    let left = count
    while (left > 0) {
      const buffer = this.queue[this.head] as Uint8Array
      const n = Math.min(buffer.length - this.offset, left)
      parts.push(n === buffer.length ? buffer : buffer.subarray(this.offset, this.offset + n))
      left -= n
      this.advance(buffer, n)
    }
    return parts
  }

  private advance(buffer: Uint8Array, count: number): void {
    this.offset += count
    if (this.offset < buffer.length) return
    this.queue[this.head] = EMPTY
    this.head++
    this.offset = 0
    // Compact now and then so that a long-lived stream's queue does not grow without bound.
    if (this.head >= QUEUE_COMPACT_AT && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
  }
}

const EMPTY = new Uint8Array(0)
/** Consumed queue entries are dropped once at least this many pile up at the front. */
const QUEUE_COMPACT_AT = 64

function completeChunk(flow: Flow): void {
  flow.onChunkSent()
}

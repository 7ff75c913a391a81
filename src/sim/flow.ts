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
  readonly bytes: Uint8Array | undefined
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

  write(bytes: Uint8Array): void {
    if (this.aborted || bytes.length === 0) return
    this.queue.push(bytes)
    this.queuedBytes += bytes.length
    this.kick()
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
      if (this.windowOpen()) this.startChunk()
      else this.windowBlocked = true
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
    this.post(SegmentKind.Reset, undefined)
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
    if (this.queuedBytes > 0) this.post(SegmentKind.Data, this.take(this.queuedBytes))
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

  private windowOpen(): boolean {
    return this.windowSpace() > 0
  }

  private startChunk(): void {
    const chunkBytes = Math.min(this.network.settings.chunkBytes, this.windowSpace())
    this.chunk = this.queuedBytes < chunkBytes ? this.queuedBytes : chunkBytes
    this.chunkDone = 0
    this.since = this.network.scheduler.now()
    if (!this.active) this.network.allocator.activate(this)
    else if (this.rate > 0) this.scheduleCompletion()
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
    const bytes = this.take(this.chunk)
    this.chunk = 0
    this.post(SegmentKind.Data, bytes)
    this.from.afterSend()
    if (this.aborted || this.stalled) return
    if (this.queuedBytes > 0 && this.windowOpen()) return this.startChunk()
    if (this.queuedBytes > 0) this.windowBlocked = true
    this.network.allocator.deactivate(this)
    if (this.queuedBytes === 0 && this.finQueued && !this.finSent) this.sendFin()
  }

  private sendFin(): void {
    this.finSent = true
    this.post(SegmentKind.Fin, undefined)
    this.from.afterSend()
  }

  private post(kind: SegmentKind, bytes: Uint8Array | undefined): void {
    const scheduler = this.network.scheduler
    const now = scheduler.now()
    if (bytes !== undefined) {
      this.inFlightBytes += bytes.length
      this.network.counters.streamBytesSent += bytes.length
      this.srcHost.streamBytesSent += bytes.length
    }
    const segment: Segment = { flow: this, kind, bytes, sentAt: now }
    scheduler.schedule(now + this.latencyMs, this.arrive, segment)
  }

  /** Removes `count` queued bytes: a view when they sit in one buffer, else a copy. */
  private take(count: number): Uint8Array {
    this.queuedBytes -= count
    const first = this.queue[this.head] as Uint8Array
    if (first.length - this.offset >= count) {
      const view = first.subarray(this.offset, this.offset + count)
      this.advance(first, count)
      return view
    }
    const out = new Uint8Array(count)
    let filled = 0
    while (filled < count) {
      const buffer = this.queue[this.head] as Uint8Array
      const n = Math.min(buffer.length - this.offset, count - filled)
      out.set(buffer.subarray(this.offset, this.offset + n), filled)
      filled += n
      this.advance(buffer, n)
    }
    return out
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

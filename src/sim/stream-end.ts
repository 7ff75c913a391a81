import type { Address } from '../core/address.js'
import type { StreamCloseReason } from '../core/core.js'
import type { StreamSocket } from '../core/env.js'
import { Flow, SegmentKind, type Segment } from './flow.js'
import type { Life, NetHost } from './net-host.js'
import type { SimNetwork } from './network.js'

/**
 * One end of a simulated stream connection: the `StreamSocket` a program holds.
 *
 * Closing, as the far side sees it:
 * - `end()`: queued bytes, then FIN. The far side gets its data, then `onClose('end')`, and
 *   closes its own half the same way (Node's `allowHalfOpen: false`); we keep receiving until
 *   its FIN, then get `onClose('local')`.
 * - `destroy()`: queued bytes are dropped and RST is sent; the far side gets `onClose('reset')`
 *   one latency later (bytes already in flight arrive first).
 * - the host crashes: nothing is sent. The far side learns only when it sends: a segment that
 *   reaches a host that is down is lost and the sender stalls, probing with backoff (1 s, 2 s,
 *   4 s, ...); if the host comes back (a new life, which knows nothing of the connection) the
 *   next probe is answered with RST ('reset'); if not, the sender closes with 'timeout' after
 *   `retransmissionTimeoutMs`. An idle far side is never told (there is no keep-alive).
 * - data or FIN reaching a host that is up but no longer has the connection: RST.
 *
 * Every callback runs from its own event, never from inside the call that caused it.
 */
/** The simulator's TCP: a byte stream over the modelled links. */
export class StreamEnd implements StreamSocket {
  readonly transport = 'tcp'
  peer: StreamEnd | undefined = undefined
  readonly out: Flow
  /** 'connecting' until established (client) or accepted (server); 'closed' once notified. */
  state: 'connecting' | 'open' | 'closed' = 'connecting'
  /** We sent (or queued) FIN. */
  ended = false
  /** The host's life ended (crash or stop); the end does nothing more. */
  dead = false
  /** Our local port is ours to free when retired (not a listener's). */
  ownsPort = false
  /** Undelivered received bytes (the receive window's fill). */
  receiveBuffered = 0

  private received: Uint8Array[] = []
  private receivedHead = 0
  private paused = false
  private finReceived = false
  private retired = false
  private dataHandler: ((bytes: Uint8Array, more: boolean) => void) | undefined = undefined
  private drainHandler: (() => void) | undefined = undefined
  private closeHandler: ((reason: StreamCloseReason) => void) | undefined = undefined
  private needDrain = false
  private corked = false
  private deliverScheduled = false
  private stalledSince = -1
  private probeDelayMs = 0

  constructor(
    readonly network: SimNetwork,
    readonly host: NetHost,
    readonly life: Life,
    readonly local: Address,
    readonly remote: Address,
    /** The far host and the one-way latency towards it, fixed for the connection's life. */
    farHost: NetHost,
    latencyMs: number,
  ) {
    this.out = new Flow(network, this, host, farHost, latencyMs, arriveSegment)
    const streams = (host.streams ??= new Set())
    streams.add(this)
  }

  // --- StreamSocket ----------------------------------------------------------------------------

  write(bytes: Uint8Array): boolean {
    if (this.state !== 'open' || this.ended || this.dead) return false
    this.out.write(bytes, this.corked)
    const below = this.out.queuedBytes < this.network.settings.streamHighWaterBytes
    if (!below) this.needDrain = true
    return below
  }

  /** Writes while corked leave together, as one chunk, at `uncork` (as Node's writev). */
  cork(): void {
    this.corked = true
  }

  uncork(): void {
    if (!this.corked) return
    this.corked = false
    if (this.state === 'open') this.out.kick()
  }

  end(): void {
    if (this.state !== 'open' || this.ended || this.dead) return
    this.ended = true
    this.out.queueFin()
  }

  destroy(): void {
    if (this.dead || this.state === 'closed') return
    this.out.abort()
    if (this.state === 'open') this.out.sendReset()
    this.network.counters.streamResetsSent++
    this.notify('local')
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    this.scheduleDeliver()
  }

  onData(handler: (bytes: Uint8Array, more: boolean) => void): void {
    this.dataHandler = handler
    this.scheduleDeliver()
  }

  onDrain(handler: () => void): void {
    this.drainHandler = handler
  }

  onClose(handler: (reason: StreamCloseReason) => void): void {
    this.closeHandler = handler
  }

  // --- driven by the network -----------------------------------------------------------------

  /** The connection is established (client) or accepted (server). */
  open(): void {
    this.state = 'open'
    this.out.kick()
  }

  /** A segment for us arrived. The caller checked that we still hold the connection. */
  receive(segment: Segment): void {
    if (segment.kind === SegmentKind.Reset) return this.receiveReset()
    if (segment.kind === SegmentKind.Fin) this.finReceived = true
    else {
      for (const part of segment.parts as readonly Uint8Array[]) this.received.push(part)
      this.receiveBuffered += segment.size
      this.network.counters.streamBytesDelivered += segment.size
      this.host.streamBytesReceived += segment.size
    }
    this.deliver()
  }

  /** Whether a segment arriving now finds us able to take it. */
  holdsConnection(): boolean {
    return !this.dead && this.state !== 'closed'
  }

  /** Our last segment went unanswered at a vanished host (sent at `sentAt`). */
  stall(sentAt: number): void {
    if (this.dead || this.stalledSince >= 0) return
    this.out.stall()
    if (this.state === 'closed') return this.retireIfDone(true)
    this.stalledSince = sentAt
    this.probeDelayMs = this.network.settings.retransmissionProbeMs
    this.network.scheduler.schedule(sentAt + this.probeDelayMs, probe, this, this.life)
  }

  /** The host crashed: vanish without a word. */
  die(): void {
    this.dead = true
    this.out.abort()
    this.retireIfDone(true)
  }

  /** The host is shutting down: flush at once, FIN, then vanish. */
  shutDown(): void {
    if (this.state !== 'connecting') this.out.flushNow()
    this.dead = true
    this.out.abort()
    this.retireIfDone(true)
  }

  /** Called by the flow after bytes or FIN left: drain and retirement checks. */
  afterSend(): void {
    if (
      this.needDrain &&
      this.out.queuedBytes <= this.network.settings.streamLowWaterBytes &&
      this.state === 'open'
    ) {
      this.needDrain = false
      this.network.scheduler.schedule(this.network.scheduler.now(), drain, this, this.life)
    }
    if (this.out.finSent) this.retireIfDone(false)
  }

  /** Closes without telling the program (a connect attempt that failed). */
  discard(): void {
    this.state = 'closed'
    this.out.abort()
    this.retireIfDone(true)
  }

  // --- internals -------------------------------------------------------------------------------

  /** A retransmission probe while stalled (scheduled by `stall`). */
  probe(): void {
    if (this.dead || this.state === 'closed' || this.stalledSince < 0) return
    const settings = this.network.settings
    const peer = this.peer
    if (peer !== undefined && peer.host.up) {
      // The retransmission reaches a host that forgot us; its RST comes back.
      const back = this.out.latencyMs + peer.out.latencyMs
      this.network.scheduler.schedule(this.network.scheduler.now() + back, reset, this, this.life)
      return
    }
    // Compare instants, not differences: stalledSince + timeout is exactly the instant the
    // last probe was scheduled for, while now - stalledSince may round just below the timeout.
    const now = this.network.scheduler.now()
    const deadline = this.stalledSince + settings.retransmissionTimeoutMs
    if (now >= deadline) {
      this.network.counters.streamTimeouts++
      this.out.abort()
      return this.notify('timeout')
    }
    this.probeDelayMs *= 2
    const next = Math.min(now + this.probeDelayMs, deadline)
    this.network.scheduler.schedule(next, probe, this, this.life)
  }

  receiveReset(): void {
    if (this.dead || this.state === 'closed') return
    this.out.abort()
    this.received = []
    this.receivedHead = 0
    this.receiveBuffered = 0
    this.notify('reset')
  }

  private scheduleDeliver(): void {
    if (this.deliverScheduled || this.dead || this.state === 'closed') return
    if (this.receivedHead >= this.received.length && !this.finReceived) return
    this.deliverScheduled = true
    this.network.scheduler.schedule(this.network.scheduler.now(), deliver, this, this.life)
  }

  /** Hands buffered bytes to the program until it pauses; FIN closes after the last byte. */
  deliver(): void {
    this.deliverScheduled = false
    const limit = this.received.length
    // Each buffer is its own call, flagged `more` while others follow in this loop. A handler
    // that pauses keeps the rest buffered: the last call after `resume` says no more.
    while (this.receivedHead < limit && !this.paused && this.dataHandler !== undefined) {
      if (this.dead || this.state === 'closed') return
      const bytes = this.received[this.receivedHead] as Uint8Array
      this.received[this.receivedHead++] = EMPTY
      this.receiveBuffered -= bytes.length
      this.dataHandler(bytes, this.receivedHead < limit)
    }
    if (this.receivedHead >= this.received.length && this.receivedHead > 0) {
      this.received = []
      this.receivedHead = 0
    }
    if (this.dead || this.state === 'closed') return
    if (this.receivedHead < this.received.length) return this.scheduleWindowUpdate()
    if (this.finReceived) return this.peerFinished()
    this.scheduleWindowUpdate()
  }

  private scheduleWindowUpdate(): void {
    const peer = this.peer
    if (peer === undefined || !peer.out.windowBlocked || peer.out.windowUpdatePending) return
    const used = peer.out.inFlightBytes + this.receiveBuffered
    if (used >= this.network.settings.receiveWindowBytes) return
    peer.out.windowUpdatePending = true
    const at = this.network.scheduler.now() + this.out.latencyMs
    this.network.scheduler.schedule(at, windowOpened, peer.out)
  }

  /** Every byte before the far side's FIN is delivered. */
  private peerFinished(): void {
    if (this.ended) return this.notify('local')
    // Half-open connections are not modelled: answer with our own FIN after what we queued.
    this.ended = true
    this.out.queueFin()
    this.notify('end')
  }

  private notify(reason: StreamCloseReason): void {
    this.state = 'closed'
    this.network.scheduler.schedule(this.network.scheduler.now(), closed, { end: this, reason })
    this.retireIfDone(false)
  }

  /** Leaves the host's tables once closed and nothing is left to send. */
  private retireIfDone(force: boolean): void {
    if (this.retired) return
    if (!force && !(this.state === 'closed' && (this.out.aborted || this.out.finSent))) return
    this.retired = true
    this.host.streams?.delete(this)
    if (this.ownsPort) this.host.streamPorts?.delete(this.local.port)
  }

  /** Runs the close callback (from its own event). */
  runClose(reason: StreamCloseReason): void {
    if (this.life.alive) this.closeHandler?.(reason)
  }

  runDrain(): void {
    if (this.state === 'open' && !this.dead) this.drainHandler?.()
  }
}

const EMPTY = new Uint8Array(0)

/** Dispatches a segment at the receiving end, or treats it as lost there. */
function arriveSegment(segment: Segment): void {
  const sender = segment.flow.from
  const receiver = sender.peer
  if (receiver === undefined) return
  if (sender.network.trace.enabled) traceSegment(segment, receiver)
  segment.flow.inFlightBytes -= segment.size
  if (segment.kind === SegmentKind.Reset) return receiver.receiveReset()
  if (receiver.holdsConnection()) return receiver.receive(segment)
  // Lost at the receiver: a live host that forgot the connection answers RST.
  if (receiver.host.up) {
    sender.network.counters.streamResetsSent++
    return receiver.out.sendReset()
  }
  sender.stall(segment.sentAt)
}

function probe(end: StreamEnd): void {
  end.probe()
}

function reset(end: StreamEnd): void {
  end.receiveReset()
}

function deliver(end: StreamEnd): void {
  end.deliver()
}

function drain(end: StreamEnd): void {
  end.runDrain()
}

function windowOpened(flow: Flow): void {
  flow.windowOpened()
}

function closed(context: { end: StreamEnd; reason: StreamCloseReason }): void {
  context.end.runClose(context.reason)
}

const KIND_NAMES = ['data', 'fin', 'rst']

function traceSegment(segment: Segment, receiver: StreamEnd): void {
  const { network, local } = segment.flow.from
  const size = segment.size
  const at = network.scheduler.now()
  const to = `${receiver.local.host}:${receiver.local.port}`
  const what = `${KIND_NAMES[segment.kind]} ${size}${receiver.holdsConnection() ? '' : ' lost'}`
  network.trace.record(`${at} seg ${local.host}:${local.port}>${to} ${what}`)
}

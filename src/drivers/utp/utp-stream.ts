import type { StreamCloseReason } from '../../core/core.js'
import type { Address } from '../../core/address.js'
import type { Clock, StreamSocket, TimerHandle } from '../../core/env.js'
import { LocalProtocolError } from '../../core/errors.js'
import type { Instant } from '../../core/time.js'
import type { UtpConnection } from '../../protocols/utp/connection.js'
import { type UtpEvent } from '../../protocols/utp/config.js'
import type { UtpPacket } from '../../protocols/utp/header.js'

/** What a stream needs from the endpoint that carries it. */
export interface UtpCarrier {
  readonly local: Address
  readonly clock: Clock
  send(to: Address, bytes: Uint8Array): void
  /** The connection is finished: stop routing to it (after a linger for late packets). */
  forget(stream: UtpStream): void
  /** A path MTU probe was lost: the carrier may know the path's MTU (`pathMtuHint`). */
  probeLost?(stream: UtpStream): void
}

/** After our `end()`, how long the far side may take to finish before we reset (as TCP's). */
export const END_LINGER_MS = 30_000

/**
 * A uTP connection as a `StreamSocket`, with the TCP driver's behaviour: writes gather until
 * the end of the current turn (or `uncork`) and leave as full packets; `write` reports
 * backpressure at 64 KiB unsent; data waits while paused (and shrinks the advertised window,
 * so the sender stops); the far side's FIN is answered with ours (no half-open streams) and
 * reported as 'end' after every byte before it; `onClose` runs once.
 */
export class UtpStream implements StreamSocket {
  readonly local: Address
  readonly transport = 'utp'
  private dataHandler: ((bytes: Uint8Array, more?: boolean) => void) | undefined
  private drainHandler: (() => void) | undefined
  private closeHandler: ((reason: StreamCloseReason) => void) | undefined
  /** Data and the far side's end, held while paused or before `onData`. */
  private readonly held: UtpEvent[] = []
  private paused = false
  private corks = 0
  private flushTimer: TimerHandle | undefined
  private deliverTimer: TimerHandle | undefined
  private timer: TimerHandle | undefined
  private timerAt: Instant | undefined
  private lingerTimer: TimerHandle | undefined
  private closedReason: StreamCloseReason | undefined
  private closeReported = false
  private endedLocally = false
  /** Until connected: where the handshake's outcome goes. */
  onHandshake: ((outcome: 'connected' | StreamCloseReason) => void) | undefined

  constructor(
    private readonly carrier: UtpCarrier,
    readonly remote: Address,
    readonly connection: UtpConnection,
  ) {
    this.local = carrier.local
  }

  private get clock(): Clock {
    return this.carrier.clock
  }

  // --- StreamSocket ---------------------------------------------------------------------

  write(bytes: Uint8Array): boolean {
    if (this.endedLocally) throw new LocalProtocolError('write after end() or destroy()')
    if (this.closedReason !== undefined) return true
    const below = this.connection.write(bytes, this.clock.now())
    // write() packetizes at once what the windows allow: send it now unless corked.
    if (this.corks === 0) this.service()
    else this.scheduleFlush()
    return below
  }

  cork(): void {
    this.corks++
  }

  uncork(): void {
    if (this.corks === 0) return
    if (--this.corks === 0) this.service()
  }

  end(): void {
    if (this.endedLocally || this.closedReason !== undefined) return
    this.endedLocally = true
    this.connection.end(this.clock.now())
    this.service()
    if (this.closedReason === undefined) {
      const at = (this.clock.now() + END_LINGER_MS) as Instant
      this.lingerTimer = this.clock.setTimer(at, () => this.abort())
    }
  }

  destroy(): void {
    this.endedLocally = true
    this.abort()
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    this.paused = false
    this.scheduleDelivery()
  }

  onData(handler: (bytes: Uint8Array, more?: boolean) => void): void {
    this.dataHandler = handler
    this.scheduleDelivery()
  }

  onDrain(handler: () => void): void {
    this.drainHandler = handler
  }

  onClose(handler: (reason: StreamCloseReason) => void): void {
    this.closeHandler = handler
    if (this.closedReason !== undefined)
      this.clock.setTimer(this.clock.now(), () => this.reportClose())
  }

  // --- from the endpoint ----------------------------------------------------------------

  receive(packet: UtpPacket): void {
    this.connection.receive(packet, this.clock.now())
    this.service()
    // Acks wait for the end of the turn, so a burst of arrivals shares one.
    this.scheduleFlush()
  }

  /** Takes what the connection produced: sends packets, handles events, re-arms the timer. */
  service(): void {
    for (const bytes of this.connection.takePackets()) this.carrier.send(this.remote, bytes)
    for (const event of this.connection.takeEvents()) this.handle(event)
    this.armTimer()
  }

  // --- internals ----------------------------------------------------------------------------

  private handle(event: UtpEvent): void {
    switch (event.type) {
      case 'connected':
        this.onHandshake?.('connected')
        this.onHandshake = undefined
        return
      case 'data':
      case 'remote_end':
        this.held.push(event)
        this.scheduleDelivery()
        return
      case 'drain':
        this.drainHandler?.()
        return
      case 'mtu_probe_lost':
        this.carrier.probeLost?.(this)
        return
      case 'closed':
        this.finish(event.reason)
        return
    }
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== undefined || this.closedReason !== undefined) return
    this.flushTimer = this.clock.setTimer(this.clock.now(), () => {
      this.flushTimer = undefined
      if (this.corks > 0) return
      this.connection.flush(this.clock.now())
      this.service()
    })
  }

  private scheduleDelivery(): void {
    if (this.deliverTimer !== undefined || this.held.length === 0) return
    if (this.paused || this.dataHandler === undefined) return
    this.deliverTimer = this.clock.setTimer(this.clock.now(), () => {
      this.deliverTimer = undefined
      this.deliver()
    })
  }

  private deliver(): void {
    while (this.held.length > 0 && !this.paused && this.dataHandler !== undefined) {
      const event = this.held.shift() as UtpEvent
      if (event.type === 'remote_end') {
        // No half-open streams: answer their FIN with ours.
        this.connection.end(this.clock.now())
        this.service()
        continue
      }
      if (event.type !== 'data') continue
      const more = this.held.length > 0 && this.held[0]?.type === 'data'
      this.dataHandler(event.bytes, more)
      this.connection.consumed(event.bytes.length, this.clock.now())
      this.service()
    }
    if (this.held.length === 0 && this.closedReason !== undefined) this.reportClose()
  }

  private armTimer(): void {
    const at = this.connection.nextTimeout()
    if (at === undefined) {
      if (this.timer !== undefined) this.clock.clearTimer(this.timer)
      this.timer = undefined
      this.timerAt = undefined
      return
    }
    // Keep an earlier timer: when it fires it re-arms for whatever is due then.
    if (this.timerAt !== undefined && this.timerAt <= at) return
    if (this.timer !== undefined) this.clock.clearTimer(this.timer)
    this.timerAt = at
    this.timer = this.clock.setTimer(at, () => {
      this.timer = undefined
      this.timerAt = undefined
      const now = this.clock.now()
      const due = this.connection.nextTimeout()
      if (due !== undefined && due <= now) this.connection.timeout(now)
      this.service()
    })
  }

  private abort(): void {
    if (this.closedReason !== undefined) return
    this.connection.reset(this.clock.now())
    this.service()
  }

  private finish(reason: StreamCloseReason): void {
    if (this.closedReason !== undefined) return
    this.closedReason = reason
    if (this.lingerTimer !== undefined) this.clock.clearTimer(this.lingerTimer)
    if (this.flushTimer !== undefined) this.clock.clearTimer(this.flushTimer)
    this.flushTimer = undefined
    const handshake = this.onHandshake
    this.onHandshake = undefined
    handshake?.(reason)
    this.carrier.forget(this)
    // Bytes that arrived before the close are read first (a paused reader sees the close
    // after it resumes and reads them); with no reader at all they are dropped.
    // Never from inside the call that caused it (destroy, end): from the clock, like TCP's.
    if (this.held.length === 0 || this.dataHandler === undefined) {
      this.clock.setTimer(this.clock.now(), () => this.reportClose())
    } else this.scheduleDelivery()
  }

  private reportClose(): void {
    const handler = this.closeHandler
    if (handler === undefined || this.closeReported || this.closedReason === undefined) return
    this.closeReported = true
    handler(this.closedReason)
  }
}

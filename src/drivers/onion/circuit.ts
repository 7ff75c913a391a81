/**
 * A built circuit on a link, and its streams as Node Duplex streams. The protocol work is
 * `ClientCircuit` (sans-IO); this file moves its cells to and from the link and turns its
 * events into promise settlements and stream pushes. Reader backpressure reaches the exit:
 * when the consumer stops reading, the stream's SENDMEs wait.
 */
import { Duplex } from 'node:stream'
import type { Log } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import type { Cell } from '../../protocols/onion/cell.js'
import {
  ClientCircuit,
  randomInitiatorCircId,
  type CircuitEvent,
} from '../../protocols/onion/client-circuit.js'
import type { OnionCrypto } from '../../protocols/onion/crypto-port.js'
import type { NtorRelayKey } from '../../protocols/onion/ntor.js'
import type { LinkSpecifier, ResolvedAnswer } from '../../protocols/onion/relay-messages.js'
import type { OnionLink } from './link.js'

interface Waiter<T> {
  resolve: (value: T) => void
  reject: (error: Error) => void
}

/**
 * The reader's buffer: about half a stream window (500 cells of 498 bytes), so a reader that
 * keeps up is never paused between two SENDMEs.
 */
const READ_BUFFER_BYTES = 128 * 1024

export class OnionStream extends Duplex {
  /** DATA that arrived in this turn of the event loop, pushed as one chunk at its end. */
  private arrived: Uint8Array[] = []

  constructor(
    private readonly owner: OnionCircuit,
    readonly streamId: number,
  ) {
    super({ readableHighWaterMark: READ_BUFFER_BYTES })
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    this.owner.writeStream(this.streamId, new Uint8Array(chunk))
    callback()
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.owner.endStream(this.streamId)
    callback()
  }

  override _read(): void {
    this.owner.resumeStream(this.streamId)
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.owner.endStream(this.streamId)
    callback(error)
  }

  /**
   * Called by the circuit for each DATA cell. The cells are joined and pushed once per pass of
   * the event loop, after the poll phase (a push per 498 bytes cost more than the cells'
   * crypto). Not per TLS record: a relay's TCP read holds several 4 KiB records, each its own
   * 'data' event, and a push per record (8 cells) meant a Buffer.concat, a Readable push and
   * a turn of the reader's async iterator for every 4 KiB. False from push means the reader
   * is full.
   */
  deliver(data: Uint8Array): void {
    if (this.arrived.push(data) === 1) setImmediate(() => this.pushArrived())
  }

  /** Pushes what arrived so far (also before the end of the stream is pushed). */
  pushArrived(): void {
    if (this.arrived.length === 0 || this.destroyed) return
    const joined = Buffer.concat(this.arrived)
    this.arrived = []
    if (!this.push(joined)) this.owner.pauseStream(this.streamId)
  }
}

export class OnionCircuit {
  readonly protocol: ClientCircuit
  private hopWaiter: Waiter<number> | undefined
  private readonly connectWaiters = new Map<number, Waiter<OnionStream>>()
  private readonly resolveWaiters = new Map<number, Waiter<ResolvedAnswer[]>>()
  private readonly streams = new Map<number, OnionStream>()
  private readonly closeHandlers: ((reason: string) => void)[] = []
  closedReason: string | undefined
  /** The relays' fingerprints, guard first. */
  readonly relays: string[] = []

  constructor(
    crypto: OnionCrypto,
    random: Random,
    readonly link: OnionLink,
    private readonly log: Log,
  ) {
    this.protocol = new ClientCircuit(crypto, random, randomInitiatorCircId(random))
    link.registerRun(this.protocol.circId, (cells) => this.apply(this.protocol.receiveRun(cells)))
    link.onClose((reason) =>
      this.apply(this.protocol.linkLost(`link to the guard lost: ${reason}`)),
    )
  }

  get isOpen(): boolean {
    return this.protocol.isOpen
  }

  onClose(handler: (reason: string) => void): void {
    this.closeHandlers.push(handler)
  }

  create(relay: NtorRelayKey): Promise<number> {
    return this.awaitHop(() => this.protocol.create(relay))
  }

  extend(relay: NtorRelayKey, linkSpecifiers: readonly LinkSpecifier[]): Promise<number> {
    return this.awaitHop(() => this.protocol.extend(relay, linkSpecifiers))
  }

  connect(host: string, port: number): Promise<OnionStream> {
    return new Promise((resolve, reject) => {
      if (!this.protocol.isOpen)
        return reject(new Error(`circuit closed: ${this.closedReason ?? 'not open'}`))
      const { streamId, events } = this.protocol.begin(host, port)
      this.connectWaiters.set(streamId, { resolve, reject })
      this.apply(events)
    })
  }

  resolve(host: string): Promise<ResolvedAnswer[]> {
    return new Promise((resolve, reject) => {
      if (!this.protocol.isOpen)
        return reject(new Error(`circuit closed: ${this.closedReason ?? 'not open'}`))
      const { streamId, events } = this.protocol.resolve(host)
      this.resolveWaiters.set(streamId, { resolve, reject })
      this.apply(events)
    })
  }

  writeStream(streamId: number, bytes: Uint8Array): void {
    this.apply(this.protocol.write(streamId, bytes))
  }

  endStream(streamId: number): void {
    this.streams.delete(streamId)
    this.apply(this.protocol.endStream(streamId))
  }

  pauseStream(streamId: number): void {
    this.protocol.pauseStream(streamId)
  }

  resumeStream(streamId: number): void {
    this.apply(this.protocol.resumeStream(streamId))
  }

  destroy(): void {
    this.apply(this.protocol.destroy())
  }

  private awaitHop(start: () => CircuitEvent[]): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.closedReason !== undefined) return reject(new Error(this.closedReason))
      this.hopWaiter = { resolve, reject }
      this.apply(start())
    })
  }

  private apply(events: CircuitEvent[]): void {
    for (const event of events) this.handle(event)
  }

  private handle(event: CircuitEvent): void {
    switch (event.type) {
      case 'send':
        return this.link.send(event.cell as Cell)
      case 'hop-added': {
        const waiter = this.hopWaiter
        this.hopWaiter = undefined
        return waiter?.resolve(event.hops)
      }
      case 'stream-connected': {
        const waiter = this.connectWaiters.get(event.streamId)
        this.connectWaiters.delete(event.streamId)
        if (waiter === undefined) return
        const stream = new OnionStream(this, event.streamId)
        this.streams.set(event.streamId, stream)
        return waiter.resolve(stream)
      }
      case 'stream-data':
        return this.streams.get(event.streamId)?.deliver(event.data)
      case 'stream-ended': {
        const waiter =
          this.connectWaiters.get(event.streamId) ?? this.resolveWaiters.get(event.streamId)
        this.connectWaiters.delete(event.streamId)
        this.resolveWaiters.delete(event.streamId)
        waiter?.reject(
          new Error(
            `stream refused by the exit ${this.relays.at(-1) ?? ''} (END reason ${event.reason})`,
          ),
        )
        const stream = this.streams.get(event.streamId)
        this.streams.delete(event.streamId)
        stream?.pushArrived()
        stream?.push(null)
        return
      }
      case 'resolved': {
        const waiter = this.resolveWaiters.get(event.streamId)
        this.resolveWaiters.delete(event.streamId)
        return waiter?.resolve(event.answers)
      }
      case 'ignored':
        return this.log.log('debug', 'onion circuit ignored a cell', { detail: event.detail })
      case 'closed':
        return this.onClosed(event.reason)
    }
  }

  private onClosed(reason: string): void {
    this.closedReason = reason
    this.link.unregister(this.protocol.circId)
    this.log.log('info', 'onion circuit closed', { reason })
    const error = new Error(`circuit closed: ${reason}`)
    this.hopWaiter?.reject(error)
    this.hopWaiter = undefined
    for (const waiter of [...this.connectWaiters.values(), ...this.resolveWaiters.values()])
      waiter.reject(error)
    this.connectWaiters.clear()
    this.resolveWaiters.clear()
    for (const stream of this.streams.values()) stream.destroy(error)
    this.streams.clear()
    for (const handler of this.closeHandlers.splice(0)) handler(reason)
  }
}

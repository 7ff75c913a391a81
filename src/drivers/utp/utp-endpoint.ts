import type { Address } from '../../core/address.js'
import type {
  Callback,
  Clock,
  DatagramSocket,
  Log,
  StreamSocket,
  TimerHandle,
} from '../../core/env.js'
import { OperationalError } from '../../core/errors.js'
import type { Random } from '../../core/random.js'
import { err, ok } from '../../core/result.js'
import type { Instant } from '../../core/time.js'
import { DEFAULT_UTP_CONFIG, type UtpConfig } from '../../protocols/utp/config.js'
import { UtpConnection } from '../../protocols/utp/connection.js'
import {
  decodePacket,
  encodePacket,
  PacketType,
  type UtpPacket,
} from '../../protocols/utp/header.js'
import { configFor, type PathMtuSource } from './path-mtu.js'
import { UtpStream, type UtpCarrier } from './utp-stream.js'

/**
 * A closed connection still answers late packets (a resent FIN) this long, while the endpoint's
 * socket is open for other reasons. It never keeps the socket (and so the process) open by
 * itself: a process whose last uTP connection closed exits at once, as with TCP, whose
 * TIME_WAIT is the kernel's.
 */
const LINGER_MS = 10_000

/**
 * Many uTP connections over one UDP socket, keyed by the remote address and the connection id
 * the remote sends to (our receive id). A SYN from an unknown remote id opens a connection when
 * the endpoint accepts; any other packet for no connection is answered with a RESET (not a
 * RESET itself, which would ping-pong).
 */
export class UtpEndpoint implements UtpCarrier {
  readonly local: Address
  private readonly streams = new Map<string, UtpStream>()
  /** Closed streams still in `streams` to answer late packets, with their linger timers. */
  private readonly lingering = new Map<string, TimerHandle>()
  private idleCheckTimer: TimerHandle | undefined
  private closed = false
  /** Accepting while set (the endpoint is a listener's). */
  onAccept: ((socket: StreamSocket) => void) | undefined
  /** Called when no connection is open and the endpoint does not accept: its owner may close it. */
  onIdle: (() => void) | undefined

  constructor(
    private readonly socket: DatagramSocket,
    readonly clock: Clock,
    private readonly random: Random,
    private readonly log: Log | undefined,
    private readonly config: UtpConfig = DEFAULT_UTP_CONFIG,
    private readonly pathMtu?: PathMtuSource,
  ) {
    this.local = socket.local
    socket.onReceive((from, bytes) => this.receive(from, bytes))
  }

  /** Connections not yet closed (connecting, open or closing). */
  get connectionCount(): number {
    return this.streams.size - this.lingering.size
  }

  send(to: Address, bytes: Uint8Array): void {
    if (!this.closed) this.socket.send(to, bytes)
  }

  probeLost(stream: UtpStream): void {
    this.pathMtu?.learned(stream.remote, (packetBytes) => {
      if (packetBytes === undefined || stream.connection.isClosed()) return
      stream.connection.pathMtuHint(packetBytes)
    })
  }

  forget(stream: UtpStream): void {
    const key = keyOf(stream.remote, stream.connection.recvId)
    if (this.streams.get(key) !== stream || this.lingering.has(key)) return
    // Late packets (a resent FIN) still reach the closed connection for a while.
    const timer = this.clock.setTimer((this.clock.now() + LINGER_MS) as Instant, () => {
      this.lingering.delete(key)
      if (this.streams.get(key) === stream) this.streams.delete(key)
    })
    this.lingering.set(key, timer)
    this.idleCheck()
  }

  connect(remote: Address, ready: Callback<StreamSocket>, timeoutMs: number): void {
    let recvId = this.random.int(0x10000)
    // The send id (recvId + 1) must be free too: it is what an accepted SYN would take.
    for (let i = 0; i < 16 && this.streams.has(keyOf(remote, recvId)); i++)
      recvId = this.random.int(0x10000)
    if (this.streams.has(keyOf(remote, recvId))) {
      return this.later(() => ready(err(new OperationalError('address_in_use', 'no free uTP id'))))
    }
    const connection = UtpConnection.connect(
      recvId,
      this.clock.now(),
      configFor(this.config, remote, this.pathMtu),
    )
    const stream = new UtpStream(this, remote, connection)
    this.streams.set(keyOf(remote, recvId), stream)
    let settled = false
    const timer = this.clock.setTimer((this.clock.now() + timeoutMs) as Instant, () => {
      if (settled) return
      settled = true
      stream.onHandshake = undefined
      stream.destroy()
      ready(
        err(
          new OperationalError('timeout', `uTP connect to ${remote.host}:${remote.port} timed out`),
        ),
      )
    })
    stream.onHandshake = (outcome) => {
      if (settled) return
      settled = true
      this.clock.clearTimer(timer)
      if (outcome === 'connected') return ready(ok(stream))
      const code = outcome === 'reset' ? 'refused' : 'timeout'
      ready(
        err(new OperationalError(code, `uTP connect to ${remote.host}:${remote.port}: ${outcome}`)),
      )
    }
    stream.service()
  }

  /** Stops accepting; the socket closes once the last connection is gone. */
  stopAccepting(): void {
    this.onAccept = undefined
    this.idleCheck()
  }

  /** Closes the socket; lingering connections are dropped with it (their timers too). */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const timer of this.lingering.values()) this.clock.clearTimer(timer)
    this.lingering.clear()
    this.streams.clear()
    this.socket.close()
  }

  /**
   * Tells the owner, on the next turn, that nothing is open: never from inside the stream's
   * own processing (it may still send its last ack after reporting the close).
   */
  private idleCheck(): void {
    if (this.idleCheckTimer !== undefined) return
    this.idleCheckTimer = this.clock.setTimer(this.clock.now(), () => {
      this.idleCheckTimer = undefined
      if (!this.closed && this.connectionCount === 0 && this.onAccept === undefined) {
        this.onIdle?.()
      }
    })
  }

  private receive(from: Address, bytes: Uint8Array): void {
    const decoded = decodePacket(bytes)
    if (!decoded.ok) return
    const packet = decoded.value
    const stream = this.route(from, packet)
    if (stream !== undefined) return stream.receive(packet)
    if (packet.type === PacketType.syn && this.onAccept !== undefined)
      return this.accept(from, packet)
    if (packet.type !== PacketType.reset) this.sendReset(from, packet)
  }

  private route(from: Address, packet: UtpPacket): UtpStream | undefined {
    const id = packet.connectionId
    if (packet.type === PacketType.syn) return this.streams.get(keyOf(from, (id + 1) & 0xffff))
    const direct = this.streams.get(keyOf(from, id))
    if (direct !== undefined || packet.type !== PacketType.reset) return direct
    // A RESET may carry our send id instead (libutp's rule): recv id is send id plus or minus one.
    for (const candidate of [(id + 1) & 0xffff, (id - 1) & 0xffff]) {
      const stream = this.streams.get(keyOf(from, candidate))
      if (stream !== undefined && stream.connection.sendId === id) return stream
    }
    return undefined
  }

  private accept(from: Address, syn: UtpPacket): void {
    const connection = UtpConnection.accept(
      syn,
      this.random.int(0x10000),
      this.clock.now(),
      configFor(this.config, from, this.pathMtu),
    )
    const stream = new UtpStream(this, from, connection)
    this.streams.set(keyOf(from, connection.recvId), stream)
    this.log?.log('debug', 'utp accepted', { remote: from.host, port: from.port })
    stream.service()
    this.onAccept?.(stream)
  }

  private sendReset(to: Address, packet: UtpPacket): void {
    this.socket.send(
      to,
      encodePacket({
        type: PacketType.reset,
        connectionId: packet.connectionId,
        timestampMicros: 0,
        timestampDiffMicros: 0,
        windowBytes: 0,
        seq: 0,
        ack: packet.seq,
        payload: new Uint8Array(),
      }),
    )
  }

  private later(fn: () => void): void {
    this.clock.setTimer(this.clock.now(), fn)
  }
}

const keyOf = (address: Address, id: number): string => `${address.host}|${address.port}|${id}`

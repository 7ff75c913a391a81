import { connect, createServer, isIP, type Server, type Socket } from 'node:net'
import type { Address } from '../../core/address.js'
import type { StreamCloseReason } from '../../core/core.js'
import type {
  Callback,
  ConnectOptions,
  Log,
  Metrics,
  StreamListener,
  StreamSocket,
} from '../../core/env.js'
import {
  LocalProtocolError,
  OperationalError,
  type OperationalErrorCode,
} from '../../core/errors.js'
import { err, ok, type Result } from '../../core/result.js'
import { seconds, type Duration } from '../../core/time.js'
import { silentLog } from './log.js'
import { discardMetrics } from './metrics.js'
import { assertLoopbackAllowed, errorCode, errorFields, loopbackOnlyFrom } from './udp.js'

/**
 * TCP through node:net.
 *
 * - Nagle is off (`setNoDelay`): our protocols are request/response (directory queries,
 *   BitTorrent requests, onion cells), and Nagle holds a small write back until the previous
 *   one is acknowledged; against delayed ACKs that costs up to 40 ms (Linux) per exchange.
 * - The high-water mark is 64 KiB (Node 20's default is 16 KiB): a BitTorrent block is
 *   16 KiB plus a 13-byte header, so at 16 KiB every block write would return false and cost
 *   a drain round trip; 64 KiB keeps about four blocks queued. It also bounds how much a
 *   reader that ignores `write() === false` can make us buffer before it notices.
 * - No half-open streams: when the far side sends FIN we finish writing and FIN too
 *   (`allowHalfOpen: false`), and report 'end'.
 * - Families and hosts as in udp.ts: IP literals only, IPv6 sockets are `ipv6Only`.
 * - 'end' (and so onClose('end')) comes only after every byte before it was read: a paused
 *   reader with unread bytes does not see the far side's FIN until it resumes. An RST is seen
 *   whenever we read or write.
 * - Reads are handed over with `more` (see StreamSocket.onData): libuv reads a busy socket
 *   up to 32 times per poll, and each chunk is held until the next one arrives (flagged
 *   `more`) or the poll phase ends (the last, unflagged, from setImmediate). A handler thus
 *   reacts once per burst: a BitTorrent leecher wrote one batch of requests per 64 KiB read
 *   (18,000 write calls per GiB received, about 17 per poll), and now writes one per burst.
 */

const HIGH_WATER_MARK_BYTES = 64 * 1024
const CONNECT_TIMEOUT_DEFAULT: Duration = seconds(10)
/** After our `end()`, how long the far side may stay silent before we reset instead. */
const END_LINGER_DEFAULT: Duration = seconds(30)

export interface TcpOptions {
  /** As UdpOptions.loopbackOnly: connect refuses non-loopback hosts. PLEXUS_TEST=1 forces it. */
  readonly loopbackOnly?: boolean
  /** Used when `connect` gets no `timeout`. Default 10 s. */
  readonly connectTimeout?: Duration
  /** After `end()`, a far side idle this long gets a reset. Default 30 s. */
  readonly endLinger?: Duration
  readonly log?: Log
  readonly metrics?: Metrics
}

/**
 * Listens on `local` (port 0 picks a free port). `ready` runs once, from the event loop.
 * Throws LocalProtocolError when `local.host` is not an IP literal.
 */
export function listenTcp(
  local: Address,
  onConnection: (socket: StreamSocket) => void,
  ready: Callback<StreamListener>,
  options: TcpOptions = {},
): void {
  const family = isIP(local.host)
  if (family === 0) throw new LocalProtocolError(`listen: '${local.host}' is not an IP literal`)
  const log = options.log ?? silentLog
  const server = createServer({ highWaterMark: HIGH_WATER_MARK_BYTES }, (socket) => {
    // A connection reset before we saw it has no addresses; there is nothing to report.
    if (socket.remoteAddress === undefined) return void socket.destroy()
    onConnection(new TcpSocket(socket, options))
  })
  const onListenError = (error: Error): void => {
    ready(err(operationalError(error, `listen ${local.host}:${local.port}`)))
  }
  server.once('error', onListenError)
  server.listen({ host: local.host, port: local.port, ipv6Only: family === 6 }, () => {
    server.off('error', onListenError)
    // Accept errors (EMFILE...) must not crash the process; the listener keeps going.
    server.on('error', (error) => log.log('warn', 'tcp listener error', errorFields(error)))
    ready(ok(new TcpListener(server)))
  })
}

/**
 * Connects to `remote`. `ready` runs once, from the event loop, with the socket or an error:
 * 'refused' (nothing listens), 'unreachable' (no route, or not an IP literal / bad port),
 * 'timeout' (no answer within `timeout`), 'io' otherwise.
 * Throws LocalProtocolError in loopback-only mode when `remote` is not loopback.
 */
export function connectTcp(
  remote: Address,
  ready: Callback<StreamSocket>,
  connectOptions: ConnectOptions = {},
  options: TcpOptions = {},
): void {
  assertLoopbackAllowed(loopbackOnlyFrom(options.loopbackOnly), remote.host, 'tcp connect')
  const what = `connect ${remote.host}:${remote.port}`
  if (isIP(remote.host) === 0 || !validPort(remote.port)) {
    // A peer can hand us these; refusing here keeps node:net from a DNS lookup or a throw.
    const error = new OperationalError('unreachable', `${what}: not an IP literal and port`)
    return void setImmediate(() => ready(err(error)))
  }
  const timeout = connectOptions.timeout ?? options.connectTimeout ?? CONNECT_TIMEOUT_DEFAULT
  // `highWaterMark` is a Duplex option net.Socket passes on; @types/node does not list it.
  const local = connectOptions.local
  // libuv binds a connecting socket with SO_REUSEADDR, so the fixed port can be shared by
  // connections to other remotes (a STUN server, the peer) as simultaneous open needs.
  const socketOptions = {
    host: remote.host,
    port: remote.port,
    highWaterMark: HIGH_WATER_MARK_BYTES,
    ...(local === undefined ? {} : { localAddress: local.host, localPort: local.port }),
  }
  const socket = connect(socketOptions)
  const finish = (result: Result<StreamSocket, OperationalError>): void => {
    clearTimeout(timer)
    socket.off('error', onError)
    socket.off('connect', onConnect)
    ready(result)
  }
  const onError = (error: Error): void => finish(err(operationalError(error, what)))
  const onConnect = (): void => finish(ok(new TcpSocket(socket, options)))
  const timer = setTimeout(() => {
    socket.destroy()
    finish(err(new OperationalError('timeout', `${what}: no answer in ${timeout} ms`)))
  }, timeout)
  socket.once('error', onError)
  socket.once('connect', onConnect)
}

class TcpListener implements StreamListener {
  readonly local: Address
  private closed = false

  constructor(private readonly server: Server) {
    const bound = server.address()
    if (bound === null || typeof bound === 'string') throw new LocalProtocolError('not TCP')
    this.local = { host: bound.address, port: bound.port }
  }

  /** Stops accepting; connections already accepted stay open. Idempotent. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.server.close()
  }
}

type CloseHandler = (reason: StreamCloseReason) => void

class TcpSocket implements StreamSocket {
  readonly local: Address
  readonly remote: Address
  readonly transport = 'tcp'
  private readonly log: Log
  private readonly metrics: Metrics
  private readonly endLinger: Duration
  private dataHandler: ((bytes: Uint8Array, more?: boolean) => void) | undefined
  private drainHandler: (() => void) | undefined
  private closeHandler: CloseHandler | undefined
  /** The first cause seen wins: ours ('local') or the far side's. */
  private reason: StreamCloseReason | undefined
  /** Set once the socket emitted 'close'; onClose runs after that, exactly once. */
  private finished = false
  private closeReported = false
  private paused = false
  /** The last chunk read, not handed over yet: whether more follows is not known. */
  private held: Buffer | undefined
  private releaseScheduled = false

  constructor(
    private readonly socket: Socket,
    options: TcpOptions,
  ) {
    this.local = { host: socket.localAddress ?? '', port: socket.localPort ?? 0 }
    this.remote = { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 }
    this.log = options.log ?? silentLog
    this.metrics = options.metrics ?? discardMetrics
    this.endLinger = options.endLinger ?? END_LINGER_DEFAULT
    socket.setNoDelay(true)
    // Nothing flows until onData: bytes wait in the socket instead of being emitted to nobody.
    socket.pause()
    socket.on('end', () => this.noteReason('end'))
    socket.on('error', (error) => this.noteReason(closeReasonOf(error)))
    socket.on('drain', () => this.drainHandler?.())
    socket.on('close', () => this.onSocketClose())
  }

  write(bytes: Uint8Array): boolean {
    if (this.reason === 'local') throw new LocalProtocolError('write after end() or destroy()')
    // The far side is gone and onClose is on its way; there is nothing to wait for.
    if (this.socket.destroyed || this.socket.readableEnded) return true
    return this.socket.write(bytes)
  }

  cork(): void {
    this.socket.cork()
  }

  uncork(): void {
    this.socket.uncork()
  }

  end(): void {
    if (this.socket.destroyed || this.socket.writableEnded) return
    this.noteReason('local')
    this.socket.end()
    // Never read and now ended: nobody wants the input, and reading it is what lets the far
    // side's FIN (and so the close) through. Without a data listener it is discarded.
    if (this.dataHandler === undefined) this.socket.resume()
    // A far side that never closes its half would keep us open forever.
    this.socket.setTimeout(this.endLinger, () => this.socket.resetAndDestroy())
    // Nor may it keep the process alive: what we wrote is with the kernel (a write still
    // queued is an active request, which holds the loop by itself), and the kernel sends it
    // and our FIN without us. A seed stopped by SIGTERM waited the whole linger (30 s) for a
    // leecher that had been SIGKILLed mid-transfer, after printing its summary.
    this.socket.unref()
  }

  destroy(): void {
    this.noteReason('local')
    // An RST rather than a FIN: the far side learns that the stream was cut, not finished.
    if (!this.socket.destroyed) this.socket.resetAndDestroy()
  }

  pause(): void {
    this.paused = true
    this.socket.pause()
  }

  resume(): void {
    this.paused = false
    if (this.dataHandler === undefined) return
    this.socket.resume()
    // A chunk held when the reader paused goes first: node emits newer data on a later tick,
    // which hands the held chunk over before it.
    if (this.held !== undefined) this.scheduleRelease()
  }

  /** Chunks are the socket's own Buffers, passed on without a copy. */
  onData(handler: (bytes: Uint8Array, more?: boolean) => void): void {
    const first = this.dataHandler === undefined
    this.dataHandler = handler
    if (!first) return
    this.socket.on('data', (bytes: Buffer) => this.received(bytes))
    if (!this.paused) this.socket.resume()
  }

  onDrain(handler: () => void): void {
    this.drainHandler = handler
  }

  /** Runs once. Registered after the close, it still runs, from the event loop. */
  onClose(handler: CloseHandler): void {
    this.closeHandler = handler
    if (this.finished) setImmediate(() => this.reportClose())
  }

  private noteReason(reason: StreamCloseReason): void {
    this.reason ??= reason
  }

  /** Hands over the chunk held before this one, flagged `more`, and holds this one. */
  private received(bytes: Buffer): void {
    const held = this.held
    this.held = bytes
    if (held !== undefined) this.dataHandler?.(held, true)
    this.scheduleRelease()
  }

  private scheduleRelease(): void {
    if (this.releaseScheduled) return
    this.releaseScheduled = true
    setImmediate(() => {
      this.releaseScheduled = false
      if (!this.paused) this.release()
    })
  }

  /** Hands over the held chunk as the last of its burst. */
  private release(): void {
    const held = this.held
    if (held === undefined) return
    this.held = undefined
    this.dataHandler?.(held, false)
  }

  private onSocketClose(): void {
    // Bytes read before the close are delivered before it (a paused reader gets them never).
    if (!this.paused) this.release()
    this.held = undefined
    this.finished = true
    this.metrics.count(`net.tcp.closed.${this.reason ?? 'error'}`)
    this.reportClose()
  }

  private reportClose(): void {
    const handler = this.closeHandler
    if (handler === undefined || this.closeReported) return
    this.closeReported = true
    this.log.log('debug', 'tcp closed', { remote: this.remote.host, reason: this.reason })
    handler(this.reason ?? 'error')
  }
}

function closeReasonOf(error: Error): StreamCloseReason {
  switch (errorCode(error)) {
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset'
    case 'ETIMEDOUT':
      return 'timeout'
    default:
      return 'error'
  }
}

const CONNECT_ERRORS: Readonly<Record<string, OperationalErrorCode>> = {
  ECONNREFUSED: 'refused',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  ENETDOWN: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  ETIMEDOUT: 'timeout',
  ECONNRESET: 'reset',
  EADDRINUSE: 'address_in_use',
}

function operationalError(error: Error, what: string): OperationalError {
  const code = CONNECT_ERRORS[errorCode(error)] ?? 'io'
  return new OperationalError(code, `${what}: ${error.message}`)
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535
}

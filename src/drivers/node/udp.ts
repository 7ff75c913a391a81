import { createSocket, type Socket } from 'node:dgram'
import { isIP } from 'node:net'
import { isLoopback, type Address } from '../../core/address.js'
import type { Callback, DatagramSocket, Log, Metrics } from '../../core/env.js'
import { LocalProtocolError, OperationalError } from '../../core/errors.js'
import { err, ok } from '../../core/result.js'
import { silentLog } from './log.js'
import { discardMetrics } from './metrics.js'

/**
 * UDP through node:dgram.
 *
 * Family: an IPv4 literal binds a udp4 socket, an IPv6 literal (including '::') a udp6 socket
 * with `ipv6Only: true`. A dual-stack socket would report IPv4 peers as '::ffff:a.b.c.d', so
 * one peer would have two spellings and overlays that keep IPv4 and IPv6 apart (BEP 5 and
 * BEP 32 are separate DHTs) would mix them. A host that wants both binds two sockets.
 *
 * Hosts are IP literals, never names: a name would mean a DNS lookup on every send.
 *
 * `send` never throws for anything the network or a peer can cause: a bad port or host from a
 * peer, EHOSTUNREACH, EMSGSIZE... are counted under `net.udp.send_failed` and logged at debug.
 * The one exception is the loopback guard (see `loopbackOnly`), which is a programmer error.
 */

export interface UdpOptions {
  /**
   * Refuse (throw LocalProtocolError) to send anywhere but loopback. Always on when the
   * environment has PLEXUS_TEST=1, which the test runner sets: tests must never send traffic
   * off the machine, and this makes a slip fail loudly instead of leaking packets.
   */
  readonly loopbackOnly?: boolean
  readonly log?: Log
  readonly metrics?: Metrics
  /**
   * SO_RCVBUF to ask for (the kernel caps it at net.core.rmem_max). The default (about
   * 200 KiB on Linux) overflows under a uTP window of bulk data; uTP asks for 2 MiB.
   */
  readonly receiveBufferBytes?: number
}

/** True when sends must stay on loopback: by option, or always under the test runner. */
export const loopbackOnlyFrom = (option: boolean | undefined): boolean =>
  option === true || process.env['PLEXUS_TEST'] === '1'

/**
 * Throws LocalProtocolError when `loopbackOnly` and `host` is an IP literal off loopback. A host
 * name is let through: the drivers refuse names themselves (unreachable / dropped), so nothing
 * can leave the machine that way.
 */
export function assertLoopbackAllowed(loopbackOnly: boolean, host: string, what: string): void {
  if (loopbackOnly && isIP(host) !== 0 && !isLoopback(host)) {
    throw new LocalProtocolError(`${what} to ${host} refused: loopback-only mode (tests)`)
  }
}

/**
 * Binds a datagram socket on `local` (port 0 picks a free port; read it from `socket.local`).
 * `ready` runs once, from the event loop, with the socket or an 'address_in_use' / 'io' error.
 * Throws LocalProtocolError when `local.host` is not an IP literal.
 */
export function bindUdp(
  local: Address,
  ready: Callback<DatagramSocket>,
  options: UdpOptions = {},
): void {
  const family = isIP(local.host)
  if (family === 0) throw new LocalProtocolError(`bind: '${local.host}' is not an IP literal`)
  const socket = createSocket(family === 6 ? { type: 'udp6', ipv6Only: true } : { type: 'udp4' })
  const onBindError = (error: Error): void => {
    socket.close()
    ready(err(bindError(error, local)))
  }
  socket.once('error', onBindError)
  socket.bind(local.port, local.host, () => {
    socket.off('error', onBindError)
    if (options.receiveBufferBytes !== undefined) {
      // Best effort: a refused size leaves the default, which still works, only with losses.
      try {
        socket.setRecvBufferSize(options.receiveBufferBytes)
      } catch {
        // keep the default
      }
    }
    ready(ok(new UdpSocket(socket, options)))
  })
}

class UdpSocket implements DatagramSocket {
  readonly local: Address
  private readonly loopbackOnly: boolean
  private readonly log: Log
  private readonly metrics: Metrics
  private handler: ((from: Address, bytes: Uint8Array) => void) | undefined
  private closed = false

  constructor(
    private readonly socket: Socket,
    options: UdpOptions,
  ) {
    const bound = socket.address()
    this.local = { host: bound.address, port: bound.port }
    this.loopbackOnly = loopbackOnlyFrom(options.loopbackOnly)
    this.log = options.log ?? silentLog
    this.metrics = options.metrics ?? discardMetrics
    socket.on('message', (bytes, from) => this.receive(bytes, from.address, from.port))
    // Send errors arrive through send's callback; anything else (there should be nothing)
    // is logged rather than left to crash the process as an unhandled 'error' event.
    socket.on('error', (error) => this.log.log('warn', 'udp socket error', errorFields(error)))
  }

  send(to: Address, bytes: Uint8Array): void {
    assertLoopbackAllowed(this.loopbackOnly, to.host, 'udp send')
    if (this.closed) return this.sendFailed(to, 'closed')
    // dgram throws on these synchronously; a peer can hand us either, so they are drops.
    if (isIP(to.host) === 0) return this.sendFailed(to, 'not_ip_literal')
    if (!Number.isInteger(to.port) || to.port < 1 || to.port > 65535) {
      return this.sendFailed(to, 'bad_port')
    }
    this.socket.send(bytes, to.port, to.host, (error) => {
      if (error !== null) this.sendFailed(to, errorCode(error))
    })
  }

  onReceive(handler: (from: Address, bytes: Uint8Array) => void): void {
    this.handler = handler
  }

  /** Idempotent. Datagrams already queued in the kernel are dropped. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.handler = undefined
    this.socket.close()
  }

  private receive(bytes: Buffer, host: string, port: number): void {
    const handler = this.handler
    // Datagrams before the first onReceive are dropped, as a full receive buffer would.
    if (handler === undefined) return this.metrics.count('net.udp.received_unhandled')
    handler({ host, port }, bytes)
  }

  private sendFailed(to: Address, code: string): void {
    this.metrics.count('net.udp.send_failed')
    this.log.log('debug', 'udp send failed', { to: `${to.host}:${to.port}`, code })
  }
}

function bindError(error: Error, local: Address): OperationalError {
  const code = errorCode(error)
  const message = `udp bind ${local.host}:${local.port}: ${error.message}`
  return new OperationalError(code === 'EADDRINUSE' ? 'address_in_use' : 'io', message)
}

export function errorCode(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code
  return code ?? error.name
}

export function errorFields(error: Error): Record<string, string> {
  return { code: errorCode(error), error: error.message }
}

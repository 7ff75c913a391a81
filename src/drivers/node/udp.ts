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
 * peer, a destination of the other family, a datagram over the size limit... are counted under
 * `net.udp.send_failed` and logged at debug. The one exception is the loopback guard (see
 * `loopbackOnly`), which is a programmer error.
 *
 * The send path is the hot one for the UDP tracker, uTP and the DHT, so it skips two of
 * dgram's costs (together about 0.6 us of 4.8 us per datagram on the bench machine):
 * - the address lookup: the socket's `lookup` answers synchronously with the literal itself
 *   (hosts are literals, checked before every send), instead of dns.lookup and a tick;
 * - the per-send callback: without it dgram allocates no completion request. Node then drops
 *   the error of a failed send silently, so everything node would refuse synchronously
 *   (family, size, port, host) is checked here first and counted. What the kernel refuses
 *   (no route, a firewall) is not counted: a lost datagram, which every user of UDP expects.
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
  const socket = createSocket({
    ...(family === 6 ? { type: 'udp6', ipv6Only: true } : { type: 'udp4' }),
    lookup: literalLookup,
  })
  const onBindError = (error: Error): void => {
    socket.close()
    ready(err(bindError(error, local)))
  }
  socket.once('error', onBindError)
  // With the synchronous lookup, bind can finish inside socket.bind: `ready` must still run
  // from the event loop, never inside bindUdp (the Net port's rule).
  let binding = true
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
    const bound = (): void => ready(ok(new UdpSocket(socket, family, options)))
    if (binding) setImmediate(bound)
    else bound()
  })
  binding = false
}

/**
 * dgram's `lookup` for hosts that are IP literals (send checks that they are): answers at
 * once, with no dns.lookup and no extra tick. The signature is dns.lookup's.
 */
function literalLookup(
  host: string,
  _options: unknown,
  callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  callback(null, host, isIP(host))
}

/** The largest UDP payload: 65,535 less the UDP header (8) and, for IPv4, the IP header (20). */
const payloadBytesMax = (family: number): number => (family === 6 ? 65_527 : 65_507)

class UdpSocket implements DatagramSocket {
  readonly local: Address
  private readonly loopbackOnly: boolean
  private readonly log: Log
  private readonly metrics: Metrics
  private handler: ((from: Address, bytes: Uint8Array) => void) | undefined
  private closed = false

  private readonly payloadBytesMax: number

  constructor(
    private readonly socket: Socket,
    private readonly family: number,
    options: UdpOptions,
  ) {
    this.payloadBytesMax = payloadBytesMax(family)
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
    // dgram throws on the first two and silently drops the others (no callback, see above);
    // a peer can hand us any of them, so they are counted drops.
    const family = isIP(to.host)
    if (family === 0) return this.sendFailed(to, 'not_ip_literal')
    if (!Number.isInteger(to.port) || to.port < 1 || to.port > 65535) {
      return this.sendFailed(to, 'bad_port')
    }
    if (family !== this.family) return this.sendFailed(to, 'EAFNOSUPPORT')
    if (bytes.length > this.payloadBytesMax) return this.sendFailed(to, 'EMSGSIZE')
    this.socket.send(bytes, to.port, to.host)
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

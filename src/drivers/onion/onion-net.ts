/**
 * The Env's `Net` with every outgoing stream connection carried by an onion circuit: `connect`
 * opens a circuit stream (RELAY_BEGIN to the address) and hands back a `StreamSocket` over it,
 * so a protocol running on this Env (BitTorrent's peer wire, for `plexus get --anonymous`)
 * reaches its peers through the circuit without knowing it. The exit relay makes the TCP
 * connection; the peer sees the exit's address, never ours. Listening and datagrams stay on
 * the machine's own Net: the caller decides whether to listen at all (anonymously it listens
 * on loopback only and tells nobody), and uTP, which is UDP, cannot cross a circuit.
 */
import type { Duplex } from 'node:stream'
import type { Address } from '../../core/address.js'
import type { StreamCloseReason } from '../../core/core.js'
import type { Callback, ConnectOptions, Net, StreamSocket } from '../../core/env.js'
import { LocalProtocolError, OperationalError } from '../../core/errors.js'
import { err, ok } from '../../core/result.js'
import type { StreamOpener } from './socks.js'

/** What a circuit stream's connect may take before it counts as failed (tor's own: 10-15 s). */
const CONNECT_TIMEOUT_MS = 15_000
/** The local end of a circuit stream: there is no socket of ours toward the peer. */
const NO_LOCAL_ADDRESS: Address = { host: '0.0.0.0', port: 0 }

export function onionNet(base: Net, opener: StreamOpener): Net {
  return {
    bindDatagram: (local, ready) => base.bindDatagram(local, ready),
    listen: (local, onConnection, ready, options) =>
      base.listen(local, onConnection, ready, options),
    connect(remote: Address, ready: Callback<StreamSocket>, options: ConnectOptions = {}): void {
      const what = `connect ${remote.host}:${remote.port} through the circuit`
      if (options.transport === 'utp') {
        const refused = new OperationalError('unreachable', `${what}: uTP cannot cross a circuit`)
        return void setImmediate(() => ready(err(refused)))
      }
      let settled = false
      const timeout = options.timeout ?? CONNECT_TIMEOUT_MS
      const timer = setTimeout(() => {
        settled = true
        ready(err(new OperationalError('timeout', `${what}: no answer in ${timeout} ms`)))
      }, timeout)
      opener.connect(remote.host, remote.port).then(
        (stream) => {
          clearTimeout(timer)
          if (settled) return void stream.destroy()
          settled = true
          ready(ok(new DuplexSocket(stream, remote)))
        },
        (error: Error) => {
          clearTimeout(timer)
          if (settled) return
          settled = true
          ready(err(new OperationalError('unreachable', `${what}: ${error.message}`)))
        },
      )
    },
  }
}

/**
 * A `StreamSocket` over a Node duplex (a circuit stream), with TCP's rules as tcp.ts keeps
 * them: nothing is read before `onData`, no half-open streams (the far side's end ends ours
 * too), `onClose` once with the first cause seen.
 */
export class DuplexSocket implements StreamSocket {
  readonly local = NO_LOCAL_ADDRESS
  private dataHandler: ((bytes: Uint8Array) => void) | undefined
  private drainHandler: (() => void) | undefined
  private closeHandler: ((reason: StreamCloseReason) => void) | undefined
  private reason: StreamCloseReason | undefined
  private closed = false
  private paused = false

  constructor(
    private readonly stream: Duplex,
    readonly remote: Address,
  ) {
    stream.pause()
    stream.on('end', () => {
      this.reason ??= 'end'
      stream.end()
    })
    stream.on('error', () => (this.reason ??= 'reset'))
    stream.on('close', () => {
      this.closed = true
      this.closeHandler?.(this.reason ?? 'end')
      this.closeHandler = undefined
    })
  }

  write(bytes: Uint8Array): boolean {
    if (this.reason === 'local') throw new LocalProtocolError('write after end() or destroy()')
    if (this.stream.destroyed || this.stream.writableEnded) return true
    return this.stream.write(bytes)
  }

  cork(): void {
    this.stream.cork()
  }

  uncork(): void {
    this.stream.uncork()
  }

  end(): void {
    this.reason ??= 'local'
    this.stream.end()
  }

  destroy(): void {
    this.reason ??= 'local'
    this.stream.destroy()
  }

  pause(): void {
    this.paused = true
    this.stream.pause()
  }

  resume(): void {
    this.paused = false
    if (this.dataHandler !== undefined) this.stream.resume()
  }

  /** A later call replaces the handler (MSE hands the socket on): one listener, never two. */
  onData(handler: (bytes: Uint8Array) => void): void {
    const first = this.dataHandler === undefined
    this.dataHandler = handler
    if (first) this.stream.on('data', (chunk: Buffer) => this.dataHandler?.(chunk))
    if (!this.paused) this.stream.resume()
  }

  onDrain(handler: () => void): void {
    const first = this.drainHandler === undefined
    this.drainHandler = handler
    if (first) this.stream.on('drain', () => this.drainHandler?.())
  }

  onClose(handler: (reason: StreamCloseReason) => void): void {
    if (this.closed) return void setImmediate(() => handler(this.reason ?? 'end'))
    this.closeHandler = handler
  }
}

import type { Address } from '../core/address.js'
import type { ConnectFailure, ConnectionId, StreamCore, StreamOutput } from '../core/core.js'
import type {
  Callback,
  Clock,
  Metrics,
  Net,
  StreamListener,
  StreamSocket,
  StreamTransport,
} from '../core/env.js'
import type { OperationalError } from '../core/errors.js'
import type { Duration } from '../core/time.js'
import { CoreTimer } from './core-timer.js'

export interface AttachStreamOptions<Event> {
  readonly clock: Clock
  readonly net: Net
  readonly onEvent: (event: Event) => void
  /** Counts connections, bytes and backpressure stalls. */
  readonly metrics?: Metrics
  readonly connectTimeout?: Duration
}

export interface AttachedStream {
  /** Runs the core's queued outputs and re-arms its timer. Call after calling a core command. */
  flush(): void
  /** Accepts inbound connections on `local` and hands them to the core. */
  listen(local: Address, ready: Callback<StreamListener>): void
  /** Hands the core a connection accepted elsewhere (a listener the caller owns). */
  adopt(socket: StreamSocket): void
  /** Resets every connection, closes listeners, stops the timer. */
  close(): void
}

const connectFailure = (error: OperationalError): ConnectFailure =>
  error.code === 'refused' || error.code === 'timeout' || error.code === 'unreachable'
    ? error.code
    : 'error'

/**
 * Binds a stream core (one that owns many connections) to a clock and a Net. The same function
 * serves Node's TCP and the simulator's streams. The driver owns sockets; the core owns
 * connection ids and every decision. After the core asks to `close` a connection, the driver
 * sends it no further input for that connection.
 */
export function attachStream<Event>(
  core: StreamCore<Event>,
  options: AttachStreamOptions<Event>,
): AttachedStream {
  const { clock, net, metrics } = options
  const sockets = new Map<ConnectionId, StreamSocket>()
  /** Outbound connects in flight; a `close` before completion cancels them. */
  const connecting = new Set<ConnectionId>()
  const listeners: StreamListener[] = []
  let closed = false
  let flushing = false
  /** Sockets written to during the running flush, corked until it ends. */
  const corked = new Set<StreamSocket>()

  const timer = new CoreTimer(clock, (now) => {
    if (closed) return
    core.timeout(now)
    flush()
  })

  const wire = (id: ConnectionId, socket: StreamSocket): void => {
    sockets.set(id, socket)
    socket.onData((bytes, more) => {
      if (sockets.get(id) !== socket) return
      metrics?.count('stream.rx_bytes', bytes.length)
      core.received(clock.now(), id, bytes)
      // The rest of the delivery comes at once: answer it all in one flush (one write per
      // peer for the requests that several blocks free, not one per block).
      if (more !== true) flush()
    })
    socket.onDrain(() => {
      if (sockets.get(id) !== socket) return
      core.writable(clock.now(), id)
      flush()
    })
    socket.onClose((reason) => {
      if (sockets.get(id) !== socket) return
      sockets.delete(id)
      metrics?.count(`stream.closed.${reason}`)
      core.closed(clock.now(), id, reason)
      flush()
    })
  }

  const startConnect = (id: ConnectionId, to: Address, transport?: StreamTransport): void => {
    connecting.add(id)
    metrics?.count('stream.connect')
    const connectOptions = {
      ...(options.connectTimeout === undefined ? {} : { timeout: options.connectTimeout }),
      ...(transport === undefined ? {} : { transport }),
    }
    net.connect(
      to,
      (result) => {
        const wanted = connecting.delete(id) && !closed
        if (!result.ok) {
          if (wanted) {
            metrics?.count(`stream.connect_failed.${result.error.code}`)
            core.connectFailed(clock.now(), id, connectFailure(result.error))
            flush()
          }
          return
        }
        if (!wanted) {
          result.value.destroy()
          return
        }
        wire(id, result.value)
        core.connected(clock.now(), id, result.value.local, result.value.transport)
        flush()
      },
      connectOptions,
    )
  }

  const perform = (output: StreamOutput<Event>): void => {
    switch (output.type) {
      case 'connect':
        return startConnect(output.connection, output.to, output.transport)
      case 'write': {
        const socket = sockets.get(output.connection)
        if (socket === undefined) return
        if (!corked.has(socket)) {
          socket.cork()
          corked.add(socket)
        }
        metrics?.count('stream.tx_bytes', output.bytes.length)
        if (!socket.write(output.bytes)) {
          metrics?.count('stream.write_blocked')
          core.writeBlocked(clock.now(), output.connection)
        }
        return
      }
      case 'close': {
        connecting.delete(output.connection)
        const socket = sockets.get(output.connection)
        sockets.delete(output.connection)
        if (socket === undefined) return
        if (output.graceful) socket.end()
        else socket.destroy()
        return
      }
      case 'pause_reading':
        return sockets.get(output.connection)?.pause()
      case 'resume_reading':
        return sockets.get(output.connection)?.resume()
      case 'event':
        return options.onEvent(output.event)
    }
  }

  // Not re-entrant, for the same reason as `attach`: outputs leave in the order they were queued.
  const flush = (): void => {
    if (closed || flushing) return
    flushing = true
    try {
      for (;;) {
        const outputs = core.takeOutputs()
        if (outputs.length === 0 || closed) break
        for (const output of outputs) perform(output)
      }
    } finally {
      flushing = false
      // Everything one flush wrote to a socket leaves in one writev.
      for (const socket of corked) socket.uncork()
      corked.clear()
    }
    if (!closed) timer.arm(core.nextTimeout())
  }

  const adopt = (socket: StreamSocket): void => {
    if (closed) {
      socket.destroy()
      return
    }
    metrics?.count('stream.accepted')
    const id = core.accepted(clock.now(), socket.remote, socket.local, socket.transport)
    wire(id, socket)
    flush()
  }

  const listen = (local: Address, ready: Callback<StreamListener>): void => {
    net.listen(local, adopt, (result) => {
      if (result.ok) listeners.push(result.value)
      ready(result)
    })
  }

  const close = (): void => {
    closed = true
    timer.cancel()
    for (const listener of listeners.splice(0)) listener.close()
    for (const socket of sockets.values()) socket.destroy()
    sockets.clear()
    connecting.clear()
  }

  return { flush, listen, adopt, close }
}

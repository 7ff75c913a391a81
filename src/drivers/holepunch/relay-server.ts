import type { Address } from '../../core/address.js'
import type { Clock, DatagramSocket, Net } from '../../core/env.js'
import { RelayServer, type RelayServerOptions } from '../../protocols/holepunch/relay-server.js'
import { flushAfterReads, type Defer } from '../after-reads.js'
import { CoreTimer } from '../core-timer.js'

export interface RunningRelay {
  readonly server: RelayServer
  /** Where the control socket is bound (its port is known even when 0 was asked for). */
  readonly control: Address
  close(): void
}

/**
 * Runs the relay-lite core on an Env's net and clock: the control socket on
 * `publicHost:controlPort` (0: any free port), and one socket per allocation, opened and closed
 * as the core asks. An allocation port that cannot be bound leaves that allocation silent.
 *
 * `defer` (Node: setImmediate) batches sends as the TURN server's does (turn-server.ts): every
 * datagram ready in one pass of the event loop is read before any answer goes out, so a send
 * does not wake its receiver while the relay still has datagrams queued. Absent (the
 * simulator, tests), each datagram is answered at once.
 */
export function startRelayServer(
  net: Net,
  clock: Clock,
  options: RelayServerOptions,
  ready: (relay: RunningRelay | Error) => void,
  defer?: Defer,
): void {
  // Port 0 picks the control port: the core learns the real one once it is bound.
  net.bindDatagram({ host: options.publicHost, port: options.controlPort }, (result) => {
    if (!result.ok) {
      const { publicHost, controlPort } = options
      ready(new Error(`relay cannot bind ${publicHost}:${controlPort}: ${result.error.message}`))
      return
    }
    const control = result.value
    run(net, clock, { ...options, controlPort: control.local.port }, control, ready, defer)
  })
}

function run(
  net: Net,
  clock: Clock,
  options: RelayServerOptions,
  control: DatagramSocket,
  ready: (relay: RunningRelay) => void,
  defer: Defer | undefined,
): void {
  const server = new RelayServer(options)
  const sockets = new Map<number, DatagramSocket>()
  let closed = false
  const timer = new CoreTimer(clock, (now) => {
    server.timeout(now)
    flush()
  })
  const flush = (): void => {
    for (const output of server.takeOutputs()) {
      if (output.type === 'send') sockets.get(output.fromPort)?.send(output.to, output.bytes)
      else if (output.type === 'close') {
        sockets.get(output.port)?.close()
        sockets.delete(output.port)
      } else bind(output.port)
    }
    if (!closed) timer.arm(server.nextTimeout())
  }
  const afterReads = flushAfterReads(flush, defer, () => closed)
  const serve = (port: number, socket: DatagramSocket): void => {
    sockets.set(port, socket)
    socket.onReceive((from, bytes) => {
      server.receive(clock.now(), port, from, bytes)
      afterReads()
    })
  }
  const bind = (port: number): void => {
    net.bindDatagram({ host: options.publicHost, port }, (result) => {
      if (!result.ok) return
      if (closed) return result.value.close()
      serve(port, result.value)
    })
  }
  serve(options.controlPort, control)
  ready({
    server,
    control: control.local,
    close: () => {
      closed = true
      timer.cancel()
      for (const socket of sockets.values()) socket.close()
      sockets.clear()
    },
  })
}

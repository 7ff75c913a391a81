import type { Clock, DatagramSocket, Net } from '../../core/env.js'
import { RelayServer, type RelayServerOptions } from '../../protocols/holepunch/relay-server.js'
import { CoreTimer } from '../core-timer.js'

export interface RunningRelay {
  readonly server: RelayServer
  close(): void
}

/**
 * Runs the relay-lite core on an Env's net and clock: the control socket on
 * `publicHost:controlPort`, and one socket per allocation, opened and closed as the core asks.
 */
export function startRelayServer(
  net: Net,
  clock: Clock,
  options: RelayServerOptions,
  ready: (relay: RunningRelay | Error) => void,
): void {
  const server = new RelayServer(options)
  const sockets = new Map<number, DatagramSocket>()
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
      } else bind(output.port, () => undefined)
    }
    timer.arm(server.nextTimeout())
  }
  const bind = (port: number, done: (error?: Error) => void): void => {
    net.bindDatagram({ host: options.publicHost, port }, (result) => {
      if (!result.ok) {
        done(new Error(`relay cannot bind ${options.publicHost}:${port}: ${result.error.message}`))
        return
      }
      const socket = result.value
      sockets.set(port, socket)
      socket.onReceive((from, bytes) => {
        server.receive(clock.now(), port, from, bytes)
        flush()
      })
      done()
    })
  }
  bind(options.controlPort, (error) => {
    if (error !== undefined) {
      ready(error)
      return
    }
    ready({
      server,
      close: () => {
        timer.cancel()
        for (const socket of sockets.values()) socket.close()
        sockets.clear()
      },
    })
  })
}

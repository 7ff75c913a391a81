import type { Address } from '../../src/core/address.js'
import type { DatagramSocket, Env } from '../../src/core/env.js'
import { instant } from '../../src/core/time.js'
import type { SimHost } from '../../src/sim/host.js'
import type { SimWorld } from '../../src/sim/world.js'

/**
 * A datagram ping-pong program for tests and benches: every `intervalMs` a host pings a random
 * peer (4-byte counter); a ping is answered with a pong carrying the same counter. Counts go to
 * the host's metrics (`ping.sent`, `ping.received`, `pong.received`) and round trips to the
 * `ping.rtt_ms` histogram.
 */
export const PING_PORT = 7000

export interface PingPongOptions {
  readonly peers: readonly Address[]
  readonly intervalMs: number
  /** Pings each host sends before going quiet. */
  readonly pingsMax: number
}

export function pingPong(options: PingPongOptions): (env: Env) => void {
  return (env) => {
    const sentAt = new Map<number, number>()
    let sent = 0
    let socket: DatagramSocket | undefined
    const tick = (): void => {
      if (socket === undefined || sent >= options.pingsMax) return
      const peer = options.peers[env.random.int(options.peers.length)] as Address
      const message = new Uint8Array(5)
      new DataView(message.buffer).setUint32(1, sent)
      sentAt.set(sent, env.clock.now())
      sent++
      socket.send(peer, message)
      env.metrics.count('ping.sent')
      env.clock.setTimer(instant(env.clock.now() + options.intervalMs), tick)
    }
    env.net.bindDatagram({ host: '0.0.0.0', port: PING_PORT }, (result) => {
      if (!result.ok) return
      socket = result.value
      socket.onReceive((from, bytes) => {
        if (bytes.length !== 5) return
        if (bytes[0] === 0) {
          env.metrics.count('ping.received')
          const reply = bytes.slice()
          reply[0] = 1
          socket?.send(from, reply)
          return
        }
        env.metrics.count('pong.received')
        const id = new DataView(bytes.buffer, bytes.byteOffset).getUint32(1)
        const at = sentAt.get(id)
        if (at !== undefined) env.metrics.observe('ping.rtt_ms', env.clock.now() - at)
        sentAt.delete(id)
      })
      const start = env.random.int(options.intervalMs)
      env.clock.setTimer(instant(env.clock.now() + start), tick)
    })
  }
}

/** Adds `count` hosts running ping-pong among themselves. */
export function addPingPongHosts(
  world: SimWorld,
  count: number,
  options: Omit<PingPongOptions, 'peers'>,
): SimHost[] {
  const hosts: SimHost[] = []
  for (let i = 0; i < count; i++) {
    hosts.push(world.addHost({ uploadBytesPerSecond: 1e6, downloadBytesPerSecond: 1e6 }))
  }
  const peers = hosts.map((h) => ({ host: h.publicAddress, port: PING_PORT }))
  const program = pingPong({ ...options, peers })
  for (const host of hosts) host.start(program)
  return hosts
}

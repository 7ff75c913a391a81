/**
 * The STUN server on real (or simulated) sockets: one socket per address the RFC 5780 server
 * answers from, each datagram answered by the pure `answerStunDatagram` and sent from the
 * socket it names.
 */
import { addressKey, type Address } from '../../core/address.js'
import type { Callback, DatagramSocket, Metrics, Net } from '../../core/env.js'
import { err, ok } from '../../core/result.js'
import {
  answerStunDatagram,
  serverSockets,
  type StunServerConfig,
} from '../../protocols/stun/index.js'
import { bindAll } from './bind-all.js'

export interface StunServerOptions {
  /** Port 0 picks a free one. */
  readonly primary: Address
  /** The RFC 5780 alternate: another host, and a port (0: the primary's port plus one). */
  readonly alternate?: Address
  readonly software?: string
  readonly metrics?: Metrics
}

export interface RunningStunServer {
  readonly config: StunServerConfig
  readonly sockets: readonly DatagramSocket[]
  close(): void
}

/** When ports are picked for us, the port after a free one may be taken: try a few times. */
const PORT_ATTEMPTS = 8

export function startStunServer(
  net: Net,
  options: StunServerOptions,
  done: Callback<RunningStunServer>,
): void {
  const attempt = (left: number): void => {
    pickPrimary(net, options.primary, (picked) => {
      if (!picked.ok) return done(picked)
      const { primary, socket } = picked.value
      const alternate =
        options.alternate === undefined
          ? undefined
          : {
              host: options.alternate.host,
              port: options.alternate.port === 0 ? primary.port + 1 : options.alternate.port,
            }
      const config: StunServerConfig = {
        primary,
        ...(alternate === undefined ? {} : { alternate }),
        ...(options.software === undefined ? {} : { software: options.software }),
      }
      bindAll(net, serverSockets(config).slice(1), (rest) => {
        if (!rest.ok) {
          socket.close()
          const retry =
            rest.error.code === 'address_in_use' && options.primary.port === 0 && left > 1
          return retry ? attempt(left - 1) : done(rest)
        }
        done(ok(serve(config, [socket, ...rest.value], options.metrics)))
      })
    })
  }
  attempt(PORT_ATTEMPTS)
}

function pickPrimary(
  net: Net,
  primary: Address,
  done: Callback<{ primary: Address; socket: DatagramSocket }>,
): void {
  net.bindDatagram(primary, (result) => {
    if (!result.ok) return done(err(result.error))
    done(
      ok({ primary: { host: primary.host, port: result.value.local.port }, socket: result.value }),
    )
  })
}

function serve(
  config: StunServerConfig,
  sockets: DatagramSocket[],
  metrics?: Metrics,
): RunningStunServer {
  const bySource = new Map<string, DatagramSocket>()
  const locals = serverSockets(config)
  sockets.forEach((socket, i) => bySource.set(addressKey(locals[i] as Address), socket))
  sockets.forEach((socket, i) => {
    const local = locals[i] as Address
    socket.onReceive((from, bytes) => {
      const reply = answerStunDatagram(config, local, from, bytes)
      metrics?.count(reply === undefined ? 'stun.server.ignored' : 'stun.server.answered')
      if (reply === undefined) return
      bySource.get(addressKey(reply.from))?.send(reply.to, reply.bytes)
    })
  })
  return {
    config,
    sockets,
    close: () => {
      for (const socket of sockets) socket.close()
    },
  }
}

/**
 * `plexus ping` on a real UDP socket: the sans-IO `PingNode` bound by `attach` on a Node Env
 * made here, so the CLI only parses options and prints events.
 */
import type { Address } from '../../core/address.js'
import { ms } from '../../core/time.js'
import { PingNode, pingCodec, type PingEvent, type PingStats } from '../../protocols/ping/index.js'
import { attach } from '../attach.js'
import { createNodeEnv } from '../node/env.js'
import { bindDatagram } from '../promises.js'

export interface PingResponder {
  readonly local: Address
  /** Resolves with the number of pings answered once `stop` ran or `exitAfter` was reached. */
  readonly finished: Promise<number>
  stop(): void
}

/** Answers pings on `bind` until stopped (or after `exitAfter` answers). */
export async function answerPings(options: {
  readonly bind: Address
  readonly exitAfter?: number
  readonly onEvent: (event: PingEvent) => void
}): Promise<PingResponder> {
  const env = createNodeEnv()
  const socket = await bindDatagram(env.net, options.bind)
  const node = new PingNode(env.random)
  let answered = 0
  let stop = (): void => undefined
  const finished = new Promise<number>((resolve) => {
    const attached = attach(node, pingCodec, {
      clock: env.clock,
      socket,
      metrics: env.metrics,
      onEvent: (event: PingEvent) => {
        if (event.type !== 'ping_received') return
        answered++
        options.onEvent(event)
        if (options.exitAfter !== undefined && answered >= options.exitAfter) stop()
      },
    })
    let stopped = false
    stop = (): void => {
      if (stopped) return
      stopped = true
      attached.detach()
      // Let the last pong leave before the socket closes.
      setImmediate(() => {
        socket.close()
        resolve(answered)
      })
    }
  })
  return { local: socket.local, finished, stop: () => stop() }
}

/** Sends `count` pings to `target`, `intervalMs` apart; resolves when all answered or timed out. */
export async function pingSeries(options: {
  readonly bind: Address
  readonly target: Address
  readonly count: number
  readonly intervalMs: number
  readonly paddingBytes: number
  readonly onEvent: (event: PingEvent) => void
}): Promise<PingStats> {
  const env = createNodeEnv()
  const socket = await bindDatagram(env.net, options.bind)
  const node = new PingNode(env.random)
  await new Promise<void>((resolve) => {
    const attached = attach(node, pingCodec, {
      clock: env.clock,
      socket,
      onEvent: (event: PingEvent) => {
        options.onEvent(event)
        if (node.isIdle()) {
          attached.detach()
          resolve()
        }
      },
    })
    node.startSeries(
      env.clock.now(),
      options.target,
      options.count,
      ms(options.intervalMs),
      options.paddingBytes,
    )
    attached.flush()
  })
  socket.close()
  return node.inspect()
}

import type { Net } from '../../src/core/env.js'
import { NodeClock } from '../../src/drivers/node/clock.js'
import { NodeNet } from '../../src/drivers/node/net.js'
import { netConformance } from './net-suite.js'

/**
 * The Net conformance suite with every stream over uTP: a `StreamSocket` over uTP must behave
 * as the TCP one does (echo, backpressure, pause, end and destroy with their close reasons).
 */
export function overUtp(net: Net): Net {
  return {
    bindDatagram: (local, ready) => net.bindDatagram(local, ready),
    listen: (local, onConnection, ready) =>
      net.listen(local, onConnection, ready, { transport: 'utp' }),
    connect: (remote, ready, options) =>
      net.connect(remote, ready, { ...options, transport: 'utp' }),
  }
}

const SETTLE_DEADLINE_MS = 20_000
const QUIET_MS = 100

netConformance(
  'node uTP',
  () => ({
    net: overUtp(new NodeNet({ loopbackOnly: true })),
    clock: new NodeClock(),
    host: '127.0.0.1',
    settle: async (pending, what) => {
      let timer: NodeJS.Timeout | undefined
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no ${what} in ${SETTLE_DEADLINE_MS} ms`)),
          SETTLE_DEADLINE_MS,
        )
      })
      return Promise.race([pending, expired]).finally(() => clearTimeout(timer))
    },
    idle: () => new Promise((resolve) => setTimeout(resolve, QUIET_MS)),
    cleanup: () => {},
  }),
  { closedPortFailure: 'timeout' },
)

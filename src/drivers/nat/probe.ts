/**
 * Runs NAT behaviour discovery over one datagram socket: the sans-IO machine plus a timer.
 * The socket's receive handler is the probe's until it reports.
 */
import type { Address } from '../../core/address.js'
import type { Clock, DatagramSocket } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import {
  NatBehaviourDiscovery,
  type DiscoveryConfig,
  type NatReport,
} from '../../protocols/stun/index.js'
import { CoreTimer } from '../core-timer.js'

export interface ProbeHandle {
  /** Stops the probe; `done` is not called. */
  cancel(): void
}

export function probeNat(
  world: { readonly clock: Clock; readonly random: Random },
  socket: DatagramSocket,
  config: DiscoveryConfig,
  done: (report: NatReport) => void,
): ProbeHandle {
  const discovery = new NatBehaviourDiscovery(world.random, config)
  let finished = false
  const timer = new CoreTimer(world.clock, (now) => {
    discovery.timeout(now)
    flush()
  })
  const flush = (): void => {
    for (const output of discovery.takeOutputs()) {
      if (finished) return
      if (output.type === 'send') socket.send(output.to, output.bytes)
      else {
        finished = true
        timer.cancel()
        done(output.report)
        return
      }
    }
    timer.arm(discovery.nextTimeout())
  }
  socket.onReceive((from: Address, bytes: Uint8Array) => {
    if (finished) return
    discovery.receive(world.clock.now(), from, bytes)
    flush()
  })
  discovery.start(world.clock.now())
  flush()
  return {
    cancel: () => {
      finished = true
      timer.cancel()
    },
  }
}

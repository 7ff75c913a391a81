/**
 * The TURN client on a datagram socket: the core plus a timer. Every call runs the core's
 * outputs at once, so events reach `onEvent` from inside the call or from the socket. The data
 * path skips the outputs: `send` sends the core's `dataMessage` itself, and ChannelData from
 * the server goes to `onEvent` straight from `channelData` (neither changes a timer), which
 * cost the client 1-2 µs of CPU per relayed round trip (bench/relay-ab.mjs, docs/benchmarks.md).
 */
import type { Address } from '../../core/address.js'
import type { Clock, DatagramSocket } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import { looksLikeChannelData } from '../../protocols/turn/channel-data.js'
import {
  TurnClient,
  type TurnClientConfig,
  type TurnClientEvent,
} from '../../protocols/turn/index.js'
import { CoreTimer } from '../core-timer.js'

export interface TurnClientHandle {
  readonly core: TurnClient
  allocate(): void
  permit(peers: readonly Address[]): void
  bindChannel(peer: Address): number
  send(peer: Address, data: Uint8Array): boolean
  /** Deletes the allocation (the answer arrives as a 'closed' event). */
  close(): void
  /** Stops the timer and the socket handler; the socket stays open. */
  detach(): void
}

export function attachTurnClient(
  world: { readonly clock: Clock; readonly random: Random },
  socket: DatagramSocket,
  config: TurnClientConfig,
  onEvent: (event: TurnClientEvent) => void,
): TurnClientHandle {
  const core = new TurnClient(world.random, config)
  let detached = false
  const timer = new CoreTimer(world.clock, (now) => {
    core.timeout(now)
    flush()
  })
  const flush = (): void => {
    for (const output of core.takeOutputs()) {
      if (output.type === 'send') socket.send(output.to, output.bytes)
      else onEvent(output.event)
    }
    if (!detached) timer.arm(core.nextTimeout())
  }
  socket.onReceive((from, bytes) => {
    if (detached) return
    if (looksLikeChannelData(bytes)) {
      const event = core.channelData(bytes)
      if (event !== undefined) onEvent(event)
      return
    }
    core.receive(world.clock.now(), from, bytes)
    flush()
  })
  const run =
    <A extends unknown[], R>(call: (...args: A) => R) =>
    (...args: A): R => {
      const result = call(...args)
      flush()
      return result
    }
  return {
    core,
    allocate: run(() => core.allocate(world.clock.now())),
    permit: run((peers: readonly Address[]) => core.permit(world.clock.now(), peers)),
    bindChannel: run((peer: Address) => core.bindChannel(world.clock.now(), peer)),
    send: (peer: Address, data: Uint8Array) => {
      const bytes = core.dataMessage(peer, data)
      if (bytes === undefined) return false
      socket.send(config.server, bytes)
      return true
    },
    close: run(() => core.close(world.clock.now())),
    detach: () => {
      detached = true
      timer.cancel()
    },
  }
}

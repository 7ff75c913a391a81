/**
 * The TURN client on a datagram socket: the core plus a timer. Every call runs the core's
 * outputs at once, so events reach `onEvent` from inside the call or from the socket.
 */
import type { Address } from '../../core/address.js'
import type { Clock, DatagramSocket } from '../../core/env.js'
import type { Random } from '../../core/random.js'
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
    send: run((peer: Address, data: Uint8Array) => core.send(world.clock.now(), peer, data)),
    close: run(() => core.close(world.clock.now())),
    detach: () => {
      detached = true
      timer.cancel()
    },
  }
}

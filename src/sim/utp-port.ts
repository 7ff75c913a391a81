import type { Address } from '../core/address.js'
import type {
  Callback,
  Clock,
  ConnectOptions,
  DatagramSocket,
  StreamListener,
  StreamSocket,
} from '../core/env.js'
import type { Random } from '../core/random.js'

/**
 * uTP in the simulator. The simulator may not import the uTP code (it lives above it, in
 * protocols and drivers), so a world is handed a factory (`WorldOptions.utp`) by a layer that
 * may: `(bind, clock, random) => new UtpTransport(bind, clock, random)` from
 * src/drivers/utp/utp-transport.ts. Each host life then gets its own transport over its own
 * simulated datagrams, so uTP runs here exactly as on Node, over UDP with the link's loss,
 * jitter and queues. Without a factory, a 'utp' listen or connect fails with 'unreachable'.
 */
export interface SimUtpTransport {
  listen(
    local: Address,
    onConnection: (socket: StreamSocket) => void,
    ready: Callback<StreamListener>,
  ): void
  connect(remote: Address, ready: Callback<StreamSocket>, options?: ConnectOptions): void
}

export type SimUtpFactory = (
  bind: (local: Address, ready: Callback<DatagramSocket>) => void,
  clock: Clock,
  random: Random,
) => SimUtpTransport

import type { Address } from '../core/address.js'
import type { Codec, DatagramCore } from '../core/core.js'
import type { Clock, DatagramSocket, Metrics } from '../core/env.js'
import { CoreTimer } from './core-timer.js'

export interface AttachOptions<Event> {
  readonly clock: Clock
  readonly socket: DatagramSocket
  readonly onEvent: (event: Event) => void
  /** Counts `tx.<type>` / `rx.<type>` per message and `rx.malformed`. */
  readonly metrics?: Metrics
  /** Names a message for metrics; defaults to its `type` field when it has one. */
  readonly messageName?: (message: unknown) => string
}

export interface Attached {
  /** Runs the core's queued outputs and re-arms its timer. Call after calling a core command. */
  flush(): void
  /** Stops delivering datagrams and timeouts to the core (the socket stays open). */
  detach(): void
}

const defaultName = (message: unknown): string =>
  typeof message === 'object' && message !== null && 'type' in message
    ? String((message as { type: unknown }).type)
    : 'message'

/**
 * Binds a sans-IO datagram core to a clock and a socket. The same function serves Node's UDP
 * sockets and the simulator's, which is what makes a simulated run a test of the real code.
 * Malformed datagrams are counted and dropped: bad input is a value, never an exception.
 */
export function attach<Message, Event, DecodeError>(
  core: DatagramCore<Message, Event>,
  codec: Codec<Message, DecodeError>,
  options: AttachOptions<Event>,
): Attached {
  const { clock, socket, metrics } = options
  const nameOf = options.messageName ?? defaultName
  let detached = false
  const timer = new CoreTimer(clock, (now) => {
    if (detached) return
    core.timeout(now)
    flush()
  })

  // Not re-entrant: an event handler may call a core command and then `flush` again; the
  // nested call returns at once and the outer loop drains the new outputs after the current
  // batch, so that outputs leave in the order the core queued them.
  let flushing = false
  const flush = (): void => {
    if (detached) return
    if (flushing) return
    flushing = true
    try {
      for (;;) {
        const outputs = core.takeOutputs()
        if (outputs.length === 0 || detached) break
        for (const output of outputs) {
          if (output.type === 'send') {
            const bytes = codec.encode(output.message)
            metrics?.count(`tx.${nameOf(output.message)}`)
            metrics?.count('tx.bytes', bytes.length)
            socket.send(output.to, bytes)
          } else {
            options.onEvent(output.event)
          }
        }
      }
    } finally {
      flushing = false
    }
    if (!detached) timer.arm(core.nextTimeout())
  }

  socket.onReceive((from: Address, bytes: Uint8Array) => {
    if (detached) return
    const decoded = codec.decode(bytes)
    if (!decoded.ok) {
      metrics?.count('rx.malformed')
      return
    }
    metrics?.count(`rx.${nameOf(decoded.value)}`)
    core.receive(clock.now(), from, decoded.value)
    flush()
  })

  return {
    flush,
    detach: () => {
      detached = true
      timer.cancel()
    },
  }
}

import { sameAddress, type Address } from '../core/address.js'
import type { Clock, DatagramSocket, TimerHandle } from '../core/env.js'
import type { Random } from '../core/random.js'
import { after, ms } from '../core/time.js'
import { attachTurnClient } from '../drivers/nat/turn-client.js'
import {
  decodeSignal,
  encodeSignal,
  type SignalMessage,
} from '../protocols/holepunch/description.js'
import type { SignalChannel } from '../protocols/holepunch/signal.js'
import { DEFAULT_MAILBOX_TIMING, type MailboxTiming } from './mailbox-signal.js'
import type { TurnCredentials } from './service-record.js'

/**
 * The caller's signalling channel to a mailbox on a TURN relay (the NATed side is
 * turn-reservations.ts). The mailbox only lets in datagrams from the relay's own relayed
 * host, so the caller allocates on the same relay (with the credentials the NATed peer's
 * record names), permits the mailbox, and sends its offer as Send indications, repeated as
 * mailbox-signal.ts does until the answer comes back from the mailbox.
 */
export function openTurnCallerChannel(
  world: { readonly clock: Clock; readonly random: Random },
  socket: DatagramSocket,
  relay: Address,
  credentials: TurnCredentials,
  mailbox: Address,
  ready: (channel: SignalChannel | Error) => void,
  timing: MailboxTiming = DEFAULT_MAILBOX_TIMING,
): void {
  let handler: (message: SignalMessage) => void = () => undefined
  let answered = false
  let timer: TimerHandle | undefined
  let closed = false
  let opened = false
  const stopRepeating = (): void => {
    if (timer !== undefined) world.clock.clearTimer(timer)
    timer = undefined
  }
  const channel: SignalChannel = {
    send(message) {
      if (closed) return
      const bytes = encodeSignal(message)
      let left = timing.repeats
      const repeat = (): void => {
        timer = undefined
        if (closed || answered || left-- <= 0) return
        client.send(mailbox, bytes)
        timer = world.clock.setTimer(after(world.clock.now(), ms(timing.repeatMs)), repeat)
      }
      stopRepeating()
      repeat()
    },
    onMessage: (next) => (handler = next),
    close() {
      if (closed) return
      closed = true
      stopRepeating()
      client.close()
      client.detach()
      socket.close()
    },
  }
  const fail = (why: string): void => {
    if (opened || closed) return
    closed = true
    client.detach()
    socket.close()
    ready(new Error(`TURN signalling through ${relay.host}:${relay.port}: ${why}`))
  }
  const client = attachTurnClient(world, socket, { server: relay, ...credentials }, (event) => {
    if (event.type === 'allocated') client.permit([mailbox])
    else if (event.type === 'permitted' && !opened) {
      opened = true
      ready(channel)
    } else if (event.type === 'data') {
      if (closed || !sameAddress(event.peer, mailbox)) return
      const decoded = decodeSignal(event.data)
      if (!decoded.ok) return
      answered = true
      stopRepeating()
      handler(decoded.value)
    } else if (event.type === 'failed') fail(`${event.operation}: ${event.reason}`)
  })
  client.allocate()
}

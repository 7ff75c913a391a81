import { sameAddress, type Address } from '../core/address.js'
import type { Clock, DatagramSocket, TimerHandle } from '../core/env.js'
import { after, ms } from '../core/time.js'
import {
  decodeSignal,
  encodeSignal,
  type SignalMessage,
} from '../protocols/holepunch/description.js'
import type { SignalChannel } from '../protocols/holepunch/signal.js'

/**
 * Signalling through a relay reservation's mailbox, one datagram per message. The caller sends
 * its offer to the mailbox (the relay passes it to the NATed peer as a knock) and repeats it
 * until an answer comes back; the NATed peer answers through its reservation (which opens the
 * relay's permission for the caller) and repeats its answer whenever the offer comes again.
 */
export interface MailboxTiming {
  readonly repeatMs: number
  readonly repeats: number
}

export const DEFAULT_MAILBOX_TIMING: MailboxTiming = { repeatMs: 300, repeats: 10 }

/** The caller's channel: its own socket, talking to the mailbox only. */
export function callerChannel(
  socket: DatagramSocket,
  clock: Clock,
  mailbox: Address,
  timing: MailboxTiming = DEFAULT_MAILBOX_TIMING,
): SignalChannel {
  let handler: (message: SignalMessage) => void = () => undefined
  let answered = false
  let timer: TimerHandle | undefined
  let closed = false
  const stopRepeating = (): void => {
    if (timer !== undefined) clock.clearTimer(timer)
    timer = undefined
  }
  socket.onReceive((from, bytes) => {
    if (closed || !sameAddress(from, mailbox)) return
    const decoded = decodeSignal(bytes)
    if (!decoded.ok) return
    answered = true
    stopRepeating()
    handler(decoded.value)
  })
  return {
    send(message) {
      if (closed) return
      const bytes = encodeSignal(message)
      let left = timing.repeats
      const repeat = (): void => {
        timer = undefined
        if (closed || answered || left-- <= 0) return
        socket.send(mailbox, bytes)
        timer = clock.setTimer(after(clock.now(), ms(timing.repeatMs)), repeat)
      }
      stopRepeating()
      repeat()
    },
    onMessage: (next) => (handler = next),
    close() {
      closed = true
      stopRepeating()
      socket.close()
    },
  }
}

/**
 * The NATed peer's channel for one caller: answers go out through the reservation; `deliver`
 * feeds it what the caller sends (the first offer included), and a repeated offer gets the
 * last answer again (the first may have been lost).
 */
export interface CalleeChannel extends SignalChannel {
  deliver(message: SignalMessage): void
}

export function calleeChannel(send: (bytes: Uint8Array) => void): CalleeChannel {
  let handler: (message: SignalMessage) => void = () => undefined
  let last: Uint8Array | undefined
  let seen = false
  let closed = false
  return {
    send(message) {
      if (closed) return
      last = encodeSignal(message)
      send(last)
    },
    onMessage: (next) => (handler = next),
    deliver(message) {
      if (closed) return
      if (!seen) {
        seen = true
        handler(message)
      } else if (last !== undefined) send(last)
    },
    close() {
      closed = true
    },
  }
}

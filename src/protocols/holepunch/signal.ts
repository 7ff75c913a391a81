import type { SignalMessage } from './description.js'

/**
 * How candidates travel before the checks: whichever channel carries signalling messages
 * between the two peers of a session (a TCP rendezvous on a relay, a DHT message, the
 * simulator's direct hand-over). Delivery order within a session is all it must keep.
 */
export interface SignalChannel {
  send(message: SignalMessage): void
  /** One handler; a later call replaces it. */
  onMessage(handler: (message: SignalMessage) => void): void
  close(): void
}

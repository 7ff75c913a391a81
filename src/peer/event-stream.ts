import type { PeerEvent } from './types.js'

/**
 * The peer's one event stream. Listeners run synchronously in subscription order; one that
 * throws is reported through `onListenerError` and does not stop the others (a bug in the API's
 * event forwarding must not take a torrent down).
 */
export class EventStream {
  private readonly listeners = new Set<(event: PeerEvent) => void>()

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  subscribe(listener: (event: PeerEvent) => void): () => void {
    // A wrapper per subscription, so the same function subscribed twice is two listeners.
    const entry = (event: PeerEvent): void => listener(event)
    this.listeners.add(entry)
    return () => {
      this.listeners.delete(entry)
    }
  }

  emit(event: PeerEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event)
      } catch (error) {
        this.onListenerError(error)
      }
    }
  }
}

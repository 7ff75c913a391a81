import { after, ms, type Instant } from '../../core/time.js'
import { isRelayedPair } from './candidate.js'
import type { Pair } from './pairs.js'

/**
 * In-order delivery across a switch from the relay to a direct pair. When the other side moves
 * its traffic to the direct pair, its last datagrams through the relay are still on their way
 * (the relay is the longer path), so the first direct ones would overtake them. The receiver
 * holds what arrives on the new pair for a moment (twice the relayed pair's round trip, at
 * least `holdMinMs`) while the relayed stragglers are delivered at once, then releases the held
 * datagrams in their order and delivers from the new pair directly. Nothing is dropped: a
 * full hold buffer is released early, and a straggler after the hold is still delivered.
 * `holdMinMs` 0 turns the hold off (datagrams in arrival order). Data that comes back on a
 * relayed pair (the sender fell back) makes that pair current again, so a later upgrade is
 * held as the first one was.
 */
const HOLD_DATAGRAMS_MAX = 512

export class ReceivePath {
  private current: Pair | undefined
  private held: { pair: Pair; until: Instant; datagrams: Uint8Array[] } | undefined

  constructor(
    private readonly holdMinMs: number,
    private readonly deliver: (bytes: Uint8Array) => void,
  ) {}

  receive(now: Instant, pair: Pair, bytes: Uint8Array): void {
    const current = this.current
    if (current === undefined || current === pair) {
      this.current = pair
      this.deliver(bytes)
      return
    }
    const held = this.held
    if (held !== undefined && held.pair === pair) {
      held.datagrams.push(bytes)
      if (held.datagrams.length >= HOLD_DATAGRAMS_MAX) this.release()
      return
    }
    const toDirect =
      isRelayedPair(current.local, current.remote) && !isRelayedPair(pair.local, pair.remote)
    if (held === undefined && toDirect && this.holdMinMs > 0) {
      const holdMs = Math.max(2 * (current.rttMs ?? 0), this.holdMinMs)
      this.held = { pair, until: after(now, ms(holdMs)), datagrams: [bytes] }
      return
    }
    // Back from a direct pair to the relay (the sender fell back): the relay becomes current,
    // so that a later move to a direct pair is held again. Arrival order: the direct path
    // is the shorter one, nothing it carried can still be behind.
    const toRelayed =
      !isRelayedPair(current.local, current.remote) && isRelayedPair(pair.local, pair.remote)
    if (held === undefined && toRelayed) this.current = pair
    // any other change of path (or a straggler from a pair left earlier): in arrival order
    this.deliver(bytes)
  }

  timeout(now: Instant): void {
    if (this.held !== undefined && this.held.until <= now) this.release()
  }

  nextTimeout(): Instant | undefined {
    return this.held?.until
  }

  private release(): void {
    const held = this.held
    if (held === undefined) return
    this.held = undefined
    this.current = held.pair
    for (const bytes of held.datagrams) this.deliver(bytes)
  }
}

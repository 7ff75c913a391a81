import { sameAddress, type Address } from '../../core/address.js'
import type { Instant } from '../../core/time.js'

export interface PendingRequest<M> {
  readonly to: Address
  readonly deadline: Instant
  readonly onReply: (now: Instant, message: M) => void
  readonly onTimeout: (now: Instant) => void
}

/**
 * The requests an overlay node waits on, by transaction id (CAN and Pastry share it). A reply
 * settles its request only when it comes from the node asked: anyone else could otherwise
 * settle, or spoof, a request it merely saw the id of. Ids wrap within 32 bits, never 0.
 */
export class RequestTable<M> {
  private readonly pending = new Map<number, PendingRequest<M>>()
  private nextTx = 1

  constructor(private readonly timeoutMs: number) {}

  /** A fresh transaction id, for a message that expects no reply as well as for a request. */
  nextId(): number {
    const tx = this.nextTx
    this.nextTx = (this.nextTx % 0xffffffff) + 1
    return tx
  }

  /** Records a request to `to`; returns the id its message must carry. */
  open(
    now: Instant,
    to: Address,
    onReply: PendingRequest<M>['onReply'],
    onTimeout: PendingRequest<M>['onTimeout'],
  ): number {
    const tx = this.nextId()
    this.pending.set(tx, { to, deadline: (now + this.timeoutMs) as Instant, onReply, onTimeout })
    return tx
  }

  /** Hands a reply to its request. False when no request of ours matches (the caller counts it). */
  settle(now: Instant, from: Address, tx: number, message: M): boolean {
    const waiting = this.pending.get(tx)
    if (waiting === undefined || !sameAddress(waiting.to, from)) return false
    this.pending.delete(tx)
    waiting.onReply(now, message)
    return true
  }

  /** Times out every request whose deadline has come. */
  expire(now: Instant): void {
    for (const [tx, p] of this.pending) {
      if (p.deadline <= now) {
        this.pending.delete(tx)
        p.onTimeout(now)
      }
    }
  }

  /** The earliest deadline, or `bound` when none is earlier. */
  nextDeadline(bound: number): number {
    let next = bound
    for (const p of this.pending.values()) next = Math.min(next, p.deadline)
    return next
  }

  clear(): void {
    this.pending.clear()
  }
}

import type { Address } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import { after, ms, type Instant } from '../../core/time.js'
import { decodeStun, isStunMessage } from '../stun/index.js'
import type { CandidateBase } from './candidate.js'
import type { Pair } from './pairs.js'

/** Why a STUN request was sent: a server-reflexive address, or a connectivity check. */
export type Purpose =
  | { readonly kind: 'gather'; readonly server: Address }
  | { readonly kind: 'check'; readonly pair: Pair; readonly nominate: boolean }

export interface Transaction {
  readonly id: string
  readonly purpose: Purpose
  readonly bytes: Uint8Array
  readonly base: CandidateBase
  readonly to: Address
  attempts: number
  sentAt: Instant
  nextAt: Instant
  rto: number
}

export interface TransactionTimers {
  readonly rtoMs: number
  readonly rtoMaxMs: number
  readonly checkAttempts: number
}

/**
 * The agent's outstanding STUN requests by transaction id, with RFC 8489's retransmission
 * schedule: the first RTO, doubled per attempt up to a cap, a fixed number of attempts.
 * It decides when; the agent transmits (a check counts towards its statistics).
 */
export class StunTransactions {
  private readonly byId = new Map<string, Transaction>()

  constructor(private readonly timers: TransactionTimers) {}

  begin(
    now: Instant,
    purpose: Purpose,
    id: string,
    bytes: Uint8Array,
    base: CandidateBase,
    to: Address,
  ): Transaction {
    const rto = this.timers.rtoMs
    const transaction: Transaction = {
      id,
      purpose,
      bytes,
      base,
      to,
      attempts: 1,
      sentAt: now,
      nextAt: after(now, ms(rto)),
      rto,
    }
    this.byId.set(id, transaction)
    return transaction
  }

  get(id: string): Transaction | undefined {
    return this.byId.get(id)
  }

  has(id: string): boolean {
    return this.byId.has(id)
  }

  /** A STUN message answering one of ours (a copy at offset 0: see the agent's onDatagram). */
  answers(bytes: Uint8Array): boolean {
    if (!isStunMessage(bytes)) return false
    const decoded = decodeStun(new Uint8Array(bytes))
    return decoded.ok && this.byId.has(toHex(decoded.value.transactionId))
  }

  delete(id: string): void {
    this.byId.delete(id)
  }

  clear(): void {
    this.byId.clear()
  }

  some(test: (transaction: Transaction) => boolean): boolean {
    for (const transaction of this.byId.values()) if (test(transaction)) return true
    return false
  }

  deleteWhere(test: (transaction: Transaction) => boolean): void {
    for (const [id, transaction] of this.byId) if (test(transaction)) this.byId.delete(id)
  }

  nextTimeout(): Instant | undefined {
    let next: Instant | undefined
    for (const transaction of this.byId.values()) {
      if (next === undefined || transaction.nextAt < next) next = transaction.nextAt
    }
    return next
  }

  /** The transactions whose retransmission timer has fired, in the order they were begun. */
  dueAt(now: Instant): Transaction[] {
    return [...this.byId.values()].filter((transaction) => transaction.nextAt <= now)
  }

  /**
   * A due transaction's next step: true when it has attempts left (rescheduled with its RTO
   * doubled, to be sent again), false when it is exhausted (removed: it failed).
   */
  advance(transaction: Transaction, now: Instant): boolean {
    if (transaction.attempts >= this.timers.checkAttempts) {
      this.byId.delete(transaction.id)
      return false
    }
    transaction.attempts++
    transaction.rto = Math.min(transaction.rto * 2, this.timers.rtoMaxMs)
    transaction.sentAt = now
    transaction.nextAt = after(now, ms(transaction.rto))
    return true
  }
}

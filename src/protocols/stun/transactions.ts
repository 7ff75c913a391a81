/**
 * STUN client transactions over UDP (RFC 8489 section 6.2.1), sans-IO: a request is sent, then
 * resent after RTO, 2 RTO, 4 RTO... until Rc requests have gone out; after the last one the
 * transaction waits Rm times the initial RTO and then fails. With the RFC's defaults (RTO
 * 500 ms, Rc 7, Rm 16) the requests leave at 0, 500, 1500, 3500, 7500, 15500 and 31500 ms and
 * the transaction times out at 39500 ms. A response is matched on its transaction id alone:
 * RFC 5780 tests expect answers from other addresses than the one asked.
 */
import type { Address } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import type { Random } from '../../core/random.js'
import { after, elapsed, ms, type Duration, type Instant } from '../../core/time.js'
import {
  encodeStun,
  newTransactionId,
  type DecodedStun,
  type EncodeOptions,
  type StunMessage,
} from './codec.js'

export interface RetransmitConfig {
  /** Initial retransmission timeout. */
  readonly rto: Duration
  /** Requests sent in all, the first included. */
  readonly rc: number
  /** After the last request, wait `rm * rto` for an answer. */
  readonly rm: number
}

export const RFC8489_RETRANSMIT: RetransmitConfig = { rto: ms(500), rc: 7, rm: 16 }

export type TransactionOutput =
  | { readonly type: 'send'; readonly to: Address; readonly bytes: Uint8Array }
  | {
      readonly type: 'response'
      readonly id: string
      readonly from: Address
      readonly response: DecodedStun
      /** From the first request to the answer (includes retransmissions). */
      readonly elapsed: Duration
      readonly sends: number
    }
  | { readonly type: 'timeout'; readonly id: string; readonly sends: number }

interface Pending {
  readonly to: Address
  readonly bytes: Uint8Array
  readonly startedAt: Instant
  readonly config: RetransmitConfig
  sends: number
  /** The next retransmission, or the final deadline after the last request. */
  nextAt: Instant
}

export class StunClientTransactions {
  private readonly pending = new Map<string, Pending>()
  private outputs: TransactionOutput[] = []

  constructor(
    private readonly random: Random,
    private readonly defaults: RetransmitConfig = RFC8489_RETRANSMIT,
  ) {}

  /**
   * Sends `message` (its transaction id is replaced by a fresh one unless `keepId`) and returns
   * the transaction's id, the hex of its transaction id.
   */
  start(
    now: Instant,
    to: Address,
    message: Omit<StunMessage, 'transactionId'> & { readonly transactionId?: Uint8Array },
    options: EncodeOptions = {},
    config: RetransmitConfig = this.defaults,
  ): string {
    const transactionId = message.transactionId ?? newTransactionId(this.random)
    const bytes = encodeStun({ ...message, transactionId }, options)
    const id = toHex(transactionId)
    this.pending.set(id, {
      to,
      bytes,
      startedAt: now,
      config,
      sends: 1,
      nextAt: after(now, config.rc > 1 ? config.rto : ms(config.rto * config.rm)),
    })
    this.outputs.push({ type: 'send', to, bytes })
    return id
  }

  /** Forgets a transaction: a late answer to it is then not matched. */
  cancel(id: string): void {
    this.pending.delete(id)
  }

  get size(): number {
    return this.pending.size
  }

  /** True when `message` answered one of our transactions (it is then reported as an output). */
  receive(now: Instant, from: Address, message: DecodedStun): boolean {
    if (message.messageClass !== 'success' && message.messageClass !== 'error') return false
    const id = toHex(message.transactionId)
    const transaction = this.pending.get(id)
    if (transaction === undefined) return false
    this.pending.delete(id)
    this.outputs.push({
      type: 'response',
      id,
      from,
      response: message,
      elapsed: elapsed(transaction.startedAt, now),
      sends: transaction.sends,
    })
    return true
  }

  timeout(now: Instant): void {
    for (const [id, transaction] of this.pending) {
      if (transaction.nextAt > now) continue
      const { config } = transaction
      if (transaction.sends >= config.rc) {
        this.pending.delete(id)
        this.outputs.push({ type: 'timeout', id, sends: transaction.sends })
        continue
      }
      transaction.sends += 1
      this.outputs.push({ type: 'send', to: transaction.to, bytes: transaction.bytes })
      // The wait doubles after each request; after the last one it is Rm times the first RTO.
      const wait =
        transaction.sends >= config.rc
          ? config.rto * config.rm
          : config.rto * 2 ** (transaction.sends - 1)
      transaction.nextAt = after(now, ms(wait))
    }
  }

  nextTimeout(): Instant | undefined {
    let next: Instant | undefined
    for (const { nextAt } of this.pending.values())
      if (next === undefined || nextAt < next) next = nextAt
    return next
  }

  takeOutputs(): TransactionOutput[] {
    const taken = this.outputs
    this.outputs = []
    return taken
  }
}

import { type Address, sameAddress } from '../../core/address.js'
import type { Output } from '../../core/core.js'
import { after, type Instant, ms } from '../../core/time.js'
import type { ChordMessage, NodeRef } from './messages.js'
import type { ChordDeps, ChordDropReason, ChordEvent, ChordOptions } from './node-types.js'
import { ChordRoutingState } from './routing-state.js'

const TID_MAX = 0xffffffff

export interface Pending {
  readonly to: NodeRef | { readonly id?: undefined; readonly address: Address }
  readonly deadline: Instant
  readonly onAnswer: (now: Instant, m: ChordMessage) => void
  readonly onTimeout: (now: Instant) => void
  /** A recursive lookup: the answer comes from the route's last node, whoever that is. */
  readonly fromRouteEnd?: boolean
}

/**
 * Requests and answers of a Chord node: transaction ids, deadlines, message counters by
 * purpose, and the output queue. The second layer of `ChordNode`.
 */
export abstract class ChordPlumbing extends ChordRoutingState {
  protected outputs: Output<ChordMessage, ChordEvent>[] = []
  protected readonly pending = new Map<number, Pending>()
  protected nextTid: number
  protected stopped = false
  /** A join is in flight: this node's view says nothing yet, so it answers no lookups. */
  protected joining = false
  protected counters = { maintenanceSent: 0, lookupSent: 0, storageSent: 0, dropped: 0 }

  constructor(deps: ChordDeps, options: ChordOptions) {
    super(deps, options)
    this.nextTid = 1 + deps.random.int(TID_MAX - 1)
  }

  takeOutputs(): Output<ChordMessage, ChordEvent>[] {
    const out = this.outputs
    this.outputs = []
    return out
  }

  protected request(
    now: Instant,
    to: NodeRef | { readonly id?: undefined; readonly address: Address },
    message: ChordRequest,
    purpose: 'maintenance' | 'lookup' | 'storage',
    handlers: Pick<Pending, 'onAnswer' | 'onTimeout' | 'fromRouteEnd'>,
    timeoutMs = this.config.rpcTimeoutMs,
  ): void {
    const tid = this.nextTid
    this.nextTid = this.nextTid >= TID_MAX ? 1 : this.nextTid + 1
    this.pending.set(tid, { to, deadline: after(now, ms(timeoutMs)), ...handlers })
    if (purpose === 'maintenance') this.counters.maintenanceSent++
    else if (purpose === 'lookup') this.counters.lookupSent++
    else this.counters.storageSent++
    this.send(to.address, { ...message, tid, sender: this.self.id } as ChordMessage)
  }

  protected answered(now: Instant, from: Address, m: ChordMessage): void {
    const p = this.pending.get(m.tid)
    const routeEnd = m.type === 'routed' ? m.path.at(-1) : undefined
    const fromRouteEnd =
      p?.fromRouteEnd === true &&
      routeEnd !== undefined &&
      routeEnd.id === m.sender &&
      sameAddress(routeEnd.address, from)
    if (
      p === undefined ||
      (!fromRouteEnd &&
        (!sameAddress(p.to.address, from) || (p.to.id !== undefined && p.to.id !== m.sender)))
    ) {
      return this.drop(from, 'unexpected_answer')
    }
    this.pending.delete(m.tid)
    p.onAnswer(now, m)
  }

  protected send(to: Address, message: ChordMessage): void {
    this.outputs.push({ type: 'send', to, message })
  }

  protected emit(event: ChordEvent): void {
    this.outputs.push({ type: 'event', event })
  }

  protected drop(from: Address, reason: ChordDropReason): void {
    this.counters.dropped++
    this.emit({ type: 'dropped', from, reason })
  }

  protected jitter(now: Instant, mean: number): Instant {
    return after(now, ms(mean * (0.5 + this.deps.random.float())))
  }
}

/** A request as the node builds it; `tid` and `sender` are filled in when it is sent. */
export type ChordRequest = DistributiveOmit<
  Extract<
    ChordMessage,
    {
      type:
        | 'find_successor'
        | 'route'
        | 'get_predecessor'
        | 'notify'
        | 'ping'
        | 'store'
        | 'fetch'
        | 'remove'
    }
  >,
  'tid' | 'sender'
>
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

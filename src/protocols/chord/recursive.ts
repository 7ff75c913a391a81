import type { Address } from '../../core/address.js'
import type { Instant } from '../../core/time.js'
import { NODES_MAX } from './codec.js'
import { ChordLookups, type Lookup } from './lookup.js'
import type { ChordMessage } from './messages.js'

/** How many rpc timeouts a recursive lookup waits for its answer before going iterative. */
const RECURSIVE_TIMEOUTS = 4

/**
 * Recursive lookups (the paper's other style): the originator sends `route` to its closest
 * preceding node, each node forwards it to its own closest preceding node (fingers and
 * successor list), and the node whose successor follows the target answers `routed` straight
 * to the originator with the path taken. One message a hop plus the answer, against two a
 * hop iteratively; but a node that died on the path loses the route silently, so the
 * originator waits a few rpc timeouts and then looks the key up iteratively. The fourth layer
 * of `ChordNode`.
 */
export abstract class ChordRecursive extends ChordLookups {
  protected startRecursive(now: Instant, target: bigint, done: Lookup['done']): void {
    const lookup: Lookup = {
      target,
      hops: [],
      messages: 0,
      candidates: [],
      tried: new Set(),
      maintenance: false,
      done,
    }
    const first = this.closestPreceding(target, 1)[0]
    if (first === undefined || this.ring.inHalfOpen(target, this.self.id, this.successor.id)) {
      return done(now, { ok: true, successors: this.successorList() }, lookup)
    }
    lookup.messages++
    const message = { type: 'route' as const, target, origin: this.self, path: [] }
    this.request(
      now,
      first,
      message,
      'lookup',
      {
        fromRouteEnd: true,
        onAnswer: (t, m) => {
          if (m.type !== 'routed' || m.successors.length === 0) return this.goIterative(t, lookup)
          m.path.forEach((n, i) => {
            const last = i === m.path.length - 1
            lookup.hops.push({
              node: n.address,
              id: this.ring.hex(n.id),
              sentAt: now,
              ...(last ? { answeredAt: t } : {}),
              outcome: last ? 'owner' : 'next',
            })
          })
          // The forwards after the first, and the answer.
          lookup.messages += m.path.length
          done(t, { ok: true, successors: m.successors }, lookup)
        },
        onTimeout: (t) => {
          lookup.hops.push({
            node: first.address,
            id: this.ring.hex(first.id),
            sentAt: now,
            outcome: 'timeout',
          })
          this.goIterative(t, lookup)
        },
      },
      this.config.rpcTimeoutMs * RECURSIVE_TIMEOUTS,
    )
  }

  /** The route was lost: the same lookup, iteratively, its trace appended to this one's. */
  private goIterative(now: Instant, lost: Lookup): void {
    const first = this.closestPreceding(lost.target, this.config.candidates)
    this.startLookup(now, lost.target, false, first, (t, result, iterative) => {
      const merged: Lookup = {
        ...iterative,
        hops: [...lost.hops, ...iterative.hops],
        messages: lost.messages + iterative.messages,
      }
      lost.done(t, result, merged)
    })
  }

  /** A `route` arrived: answer the originator when our successor owns the target, else forward. */
  protected forwardRoute(from: Address, m: Extract<ChordMessage, { type: 'route' }>): void {
    const path = [...m.path, this.self]
    const next = this.closestPreceding(m.target, 1)[0]
    if (next === undefined || this.ring.inHalfOpen(m.target, this.self.id, this.successor.id)) {
      this.counters.lookupSent++
      return this.send(m.origin.address, {
        type: 'routed',
        tid: m.tid,
        sender: this.self.id,
        successors: this.successorList(),
        path,
      })
    }
    if (path.length >= Math.min(NODES_MAX, this.config.lookupStepsMax)) {
      return this.drop(from, 'route_too_long')
    }
    this.counters.lookupSent++
    this.send(next.address, {
      type: 'route',
      tid: m.tid,
      sender: this.self.id,
      target: m.target,
      origin: m.origin,
      path,
    })
  }
}

import { type Address, sameAddress } from '../../core/address.js'
import type { DatagramCore } from '../../core/core.js'
import type { Instant } from '../../core/time.js'
import type { OverlayDht } from '../overlay/dht.js'
import type { ChordMessage, NodeRef } from './messages.js'
import type { ChordDeps, ChordEvent, ChordOptions, ChordStats } from './node-types.js'
import { ChordMaintenance } from './maintenance.js'

export type {
  ChordDeps,
  ChordDropReason,
  ChordEvent,
  ChordOptions,
  ChordState,
  ChordStats,
} from './node-types.js'

/**
 * A Chord node (Stoica et al., SIGCOMM 2001 / ToN 2003) as a sans-IO datagram core.
 *
 * Lookups are iterative: the originator asks the closest preceding node it knows; a node
 * answers `found` with its successor list when the target lies in (itself, successor], and
 * otherwise `next` with its best preceding nodes (fingers and successor list both searched),
 * which the originator merges into a candidate list so a failed node is skipped without a
 * restart. Maintenance is the paper's: stabilize + notify, fix_fingers (one finger lookup a
 * step, filling every following finger the answer also covers), check_predecessor, and a
 * successor list of r for failure resilience. Keys live at successor(key) and on the next
 * `replicas - 1` successors; a node pushes the keys it owns to them periodically, hands keys to a
 * new predecessor, and on a graceful leave hands everything to its successor.
 */
export class ChordNode
  extends ChordMaintenance
  implements DatagramCore<ChordMessage, ChordEvent>, OverlayDht
{
  private replicateAt: Instant

  constructor(now: Instant, deps: ChordDeps, options: ChordOptions) {
    super(now, deps, options)
    this.replicateAt = this.jitter(now, this.config.replicateMs)
  }

  /** True while a join is in flight (it answers no lookups then). */
  get isJoining(): boolean {
    return this.joining
  }

  leave(_now: Instant): void {
    if (this.stopped) return
    const successor = this.successor
    if (successor.id !== this.self.id) {
      let moved = 0
      for (const [key, value] of this.store) {
        this.send(successor.address, { type: 'store', tid: 0, sender: this.self.id, key, value })
        moved++
      }
      if (moved > 0) this.emit({ type: 'keys_moved', count: moved, direction: 'out' })
      const notice = (to: NodeRef): void =>
        this.send(to.address, {
          type: 'leaving',
          tid: 0,
          sender: this.self.id,
          ...(this.predecessor === undefined ? {} : { predecessor: this.predecessor }),
          successors: this.successors,
        })
      notice(successor)
      if (this.predecessor !== undefined && this.predecessor.id !== successor.id)
        notice(this.predecessor)
    }
    // Operations in flight end here: no answer will be taken any more.
    this.stopped = true
    this.pending.clear()
  }

  inspect(): ChordStats {
    const ids = new Set<bigint>(this.distinctFingers().map((f) => f.id))
    for (const s of this.successors) ids.add(s.id)
    if (this.predecessor !== undefined) ids.add(this.predecessor.id)
    return { ...this.counters, keys: this.store.size, stateNodes: ids.size }
  }

  nextTimeout(): Instant | undefined {
    if (this.stopped) return undefined
    let next = Math.min(
      this.retryJoin?.at ?? Infinity,
      this.stabilizeAt,
      this.fixFingersAt,
      this.checkPredecessorAt,
      this.replicateAt,
    )
    for (const p of this.pending.values()) if (p.deadline < next) next = p.deadline
    return next as Instant
  }

  timeout(now: Instant): void {
    if (this.stopped) return
    for (const [tid, p] of this.pending) {
      if (p.deadline <= now) {
        this.pending.delete(tid)
        p.onTimeout(now)
      }
    }
    if (this.retryJoin !== undefined && this.retryJoin.at <= now) {
      const seeds = this.retryJoin.seeds
      this.retryJoin = undefined
      this.join(now, seeds)
    }
    if (this.stabilizeAt <= now) {
      this.stabilizeAt = this.jitter(now, this.config.stabilizeMs)
      this.stabilize(now)
    }
    if (this.fixFingersAt <= now) {
      this.fixFingersAt = this.jitter(now, this.config.fixFingersMs)
      this.fixFingers(now)
    }
    if (this.checkPredecessorAt <= now) {
      this.checkPredecessorAt = this.jitter(now, this.config.checkPredecessorMs)
      this.checkPredecessor(now)
    }
    if (this.replicateAt <= now) {
      this.replicateAt = this.jitter(now, this.config.replicateMs)
      this.replicate()
    }
  }

  receive(now: Instant, from: Address, m: ChordMessage): void {
    if (this.stopped) return this.drop(from, 'stopped')
    if (this.config.idsFromAddress && m.sender !== this.addressId(from)) {
      return this.drop(from, 'id_not_owned')
    }
    if (m.sender === this.self.id && !sameAddress(from, this.self.address)) {
      return this.drop(from, 'id_collision')
    }
    const sender: NodeRef = { id: m.sender, address: from }
    switch (m.type) {
      case 'find_successor':
        // Answering from a half-joined view would let joiners build a second ring.
        if (this.joining) return this.drop(from, 'not_joined')
        return this.answerFindSuccessor(sender, m.tid, m.target)
      case 'route':
        if (this.joining) return this.drop(from, 'not_joined')
        return this.forwardRoute(from, m)
      case 'get_predecessor':
        return this.send(from, {
          type: 'predecessor',
          tid: m.tid,
          sender: this.self.id,
          ...(this.predecessor === undefined ? {} : { predecessor: this.predecessor }),
          successors: this.successors,
        })
      case 'notify':
        return this.notified(from, sender, m.tid)
      case 'leaving':
        return this.neighbourLeaving(sender, m.predecessor, m.successors)
      case 'ping':
        return this.send(from, { type: 'pong', tid: m.tid, sender: this.self.id })
      case 'store':
        if (!this.store.has(m.key) && this.store.size >= this.config.storedKeysMax) {
          return this.drop(from, 'store_full')
        }
        this.store.set(m.key, m.value)
        if (m.tid !== 0) this.send(from, { type: 'stored', tid: m.tid, sender: this.self.id })
        return
      case 'fetch': {
        const value = this.store.get(m.key)
        return this.send(from, {
          type: 'value',
          tid: m.tid,
          sender: this.self.id,
          ...(value === undefined ? {} : { value }),
        })
      }
      case 'remove':
        this.store.delete(m.key)
        return this.send(from, { type: 'removed', tid: m.tid, sender: this.self.id })
      default:
        return this.answered(now, from, m)
    }
  }
}

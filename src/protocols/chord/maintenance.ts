import { type Address, addressKey } from '../../core/address.js'
import { after, type Instant, ms } from '../../core/time.js'
import type { NodeRef } from './messages.js'
import type { ChordDeps, ChordOptions } from './node-types.js'
import { ChordStorage } from './storage.js'
import type { Lookup } from './lookup.js'

/**
 * Chord's maintenance: join, stabilize + notify (with the key hand-over to a new
 * predecessor), fix_fingers, check_predecessor, and a neighbour's graceful leave. The fifth
 * layer of `ChordNode`.
 */
export abstract class ChordMaintenance extends ChordStorage {
  protected nextFinger = 1
  /** Where our owned range began before the predecessor failed: keys from there on are recovered. */
  protected lostPredecessor: bigint | undefined
  protected readonly notifiesSeen = new Map<string, number>()
  protected retryJoin: { readonly at: Instant; readonly seeds: readonly Address[] } | undefined
  protected stabilizeAt: Instant
  protected fixFingersAt: Instant
  protected checkPredecessorAt: Instant

  constructor(now: Instant, deps: ChordDeps, options: ChordOptions) {
    super(deps, options)
    this.stabilizeAt = this.jitter(now, this.config.stabilizeMs)
    this.fixFingersAt = this.jitter(now, this.config.fixFingersMs)
    this.checkPredecessorAt = this.jitter(now, this.config.checkPredecessorMs)
  }

  /** Joins the ring through any of `seeds` (tried in turn): find successor(self), then stabilize. */
  join(now: Instant, seeds: readonly Address[]): void {
    const tryFrom = (i: number, now: Instant): void => {
      const seed = seeds[i]
      if (seed === undefined) {
        // No seed answered: try them all again later rather than start a ring of one.
        this.retryJoin = { at: after(now, ms(this.config.stabilizeMs)), seeds }
        return
      }
      this.request(
        now,
        { address: seed },
        { type: 'find_successor', target: this.self.id },
        'maintenance',
        {
          onAnswer: (t, m) => {
            if (m.type === 'found') this.adoptJoin(t, m.successors)
            else if (m.type === 'next') {
              const joined: Lookup['done'] = (t2, result) => {
                if (result.ok) this.adoptJoin(t2, result.successors)
                else tryFrom(i + 1, t2)
              }
              this.startLookup(t, this.self.id, true, m.candidates, joined, false)
            }
          },
          onTimeout: (t) => tryFrom(i + 1, t),
        },
      )
    }
    this.joining = seeds.length > 0
    tryFrom(0, now)
  }

  protected adoptJoin(now: Instant, successors: readonly NodeRef[]): void {
    this.joining = false
    this.setSuccessors(successors)
    this.emit({ type: 'joined', successor: this.successor })
    this.stabilizeAt = now
  }

  protected notified(from: Address, candidate: NodeRef, tid: number): void {
    // A replayed notify (same sender, same transaction) would repeat a key hand-over.
    const key = addressKey(from)
    if (this.notifiesSeen.get(key) === tid) return this.drop(from, 'replayed_notify')
    if (this.notifiesSeen.size >= 256) this.notifiesSeen.clear()
    this.notifiesSeen.set(key, tid)
    if (candidate.id === this.self.id) return
    const old = this.predecessor
    if (old !== undefined && !this.ring.inOpen(candidate.id, old.id, this.self.id)) return
    this.predecessor = candidate
    if (this.successors.length === 0) this.setSuccessors([candidate])
    // Keys in (old predecessor, new predecessor] now belong to the newcomer.
    let moved = 0
    for (const [k, value] of this.store) {
      if (this.ring.inHalfOpen(k, candidate.id, this.self.id)) continue
      if (old !== undefined && !this.ring.inHalfOpen(k, old.id, candidate.id)) continue
      this.send(from, { type: 'store', tid: 0, sender: this.self.id, key: k, value })
      moved++
    }
    if (moved > 0) this.emit({ type: 'keys_moved', count: moved, direction: 'out' })
    // After a predecessor failure our range grew back to the new predecessor: those keys were
    // replicas here and are now ours (recovered).
    if (old === undefined && this.lostPredecessor !== undefined) {
      let recovered = 0
      for (const k of this.store.keys()) {
        if (this.ring.inHalfOpen(k, candidate.id, this.lostPredecessor)) recovered++
      }
      this.lostPredecessor = undefined
      if (recovered > 0) this.emit({ type: 'keys_moved', count: recovered, direction: 'in' })
    }
  }

  protected neighbourLeaving(
    leaver: NodeRef,
    predecessor: NodeRef | undefined,
    successors: readonly NodeRef[],
  ): void {
    const wasSuccessor = this.successor.id === leaver.id
    this.forget(leaver.id)
    if (
      this.predecessor === undefined &&
      predecessor !== undefined &&
      predecessor.id !== this.self.id
    ) {
      this.predecessor = predecessor
    }
    if (wasSuccessor) this.setSuccessors([...successors, ...this.successors])
  }

  /**
   * stabilize, repeated at once (up to `depth` times) while the successor's predecessor is a
   * closer successor: a pointer that overshot after concurrent joins then walks back several
   * nodes a round instead of one.
   */
  protected stabilize(now: Instant, depth = 8): void {
    if (this.successors.length === 0) {
      if (this.predecessor !== undefined) this.setSuccessors([this.predecessor])
      else return
    }
    const successor = this.successor
    this.request(now, successor, { type: 'get_predecessor' }, 'maintenance', {
      onAnswer: (t, m) => {
        if (m.type !== 'predecessor') return
        const x = m.predecessor
        // The successor's own list follows it in ours.
        const list = [successor, ...m.successors]
        const closer = x !== undefined && this.ring.inOpen(x.id, this.self.id, successor.id)
        if (closer) list.unshift(x)
        this.setSuccessors(list)
        if (closer && depth > 1) return this.stabilize(t, depth - 1)
        this.request(t, this.successor, { type: 'notify' }, 'maintenance', {
          onAnswer: () => undefined,
          onTimeout: () => undefined,
        })
      },
      onTimeout: () => this.forget(successor.id),
    })
  }

  protected checkPredecessor(now: Instant): void {
    const p = this.predecessor
    if (p === undefined) return
    this.request(now, p, { type: 'ping' }, 'maintenance', {
      onAnswer: () => undefined,
      onTimeout: () => {
        if (this.predecessor?.id !== p.id) return
        this.lostPredecessor = p.id
        this.forget(p.id)
      },
    })
  }

  protected fixFingers(now: Instant): void {
    const m = this.config.bits
    // Fingers whose start lies in (n, successor] are the successor itself: no message needed.
    let i = this.nextFinger
    while (
      i <= m &&
      this.ring.inHalfOpen(this.ring.fingerStart(this.self.id, i), this.self.id, this.successor.id)
    ) {
      this.setFinger(i, this.successors[0])
      i++
    }
    if (i > m) {
      this.nextFinger = 1
      return
    }
    const start = this.ring.fingerStart(this.self.id, i)
    const first = this.closestPreceding(start, this.config.candidates)
    this.startLookup(now, start, true, first, (_t, result) => {
      if (!result.ok) {
        this.nextFinger = i + 1 > m ? 1 : i + 1
        return
      }
      const s = result.successors[0] as NodeRef
      if (s.id === this.self.id) {
        for (let j = i; j <= m; j++) this.setFinger(j, undefined)
        this.nextFinger = 1
        return
      }
      // Every later finger whose start is still at or before s has s as its successor too.
      const reach = this.ring.distance(this.self.id, s.id)
      let j = i
      while (
        j <= m &&
        this.ring.distance(this.self.id, this.ring.fingerStart(this.self.id, j)) <= reach
      ) {
        this.setFinger(j, s)
        j++
      }
      this.nextFinger = j > m ? 1 : j
    })
  }
}

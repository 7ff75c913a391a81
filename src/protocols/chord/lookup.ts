import type { Address } from '../../core/address.js'
import type { Instant } from '../../core/time.js'
import type { OverlayHop } from '../overlay/dht.js'
import type { NodeRef } from './messages.js'
import { ChordPlumbing } from './plumbing.js'

export type LookupResult =
  | { readonly ok: true; readonly successors: readonly NodeRef[] }
  | { readonly ok: false; readonly error: string }

/** One iterative lookup: candidates are kept closest-to-target first. */
export interface Lookup {
  readonly target: bigint
  readonly hops: OverlayHop[]
  messages: number
  candidates: NodeRef[]
  readonly tried: Set<bigint>
  readonly maintenance: boolean
  readonly done: (now: Instant, result: LookupResult, lookup: Lookup) => void
}

/**
 * Lookups of a Chord node: iterative find_successor with a candidate list (a failed node is
 * skipped without a restart), a client's lookup through a gateway, the successor-only walk of
 * the lecture, and the answers a node gives. The third layer of `ChordNode`.
 */
export abstract class ChordLookups extends ChordPlumbing {
  protected nextHandle = 1
  /** A node outside the ring (a one-shot client) starts every lookup here. */
  protected gateway: Address | undefined

  /**
   * Makes this node a client that never joins: each operation starts at `gateway` (any ring
   * member) and continues iteratively from there. Used by one-shot commands, which would
   * otherwise take over a key range for a few seconds and hand it back.
   */
  useGateway(gateway: Address): void {
    this.gateway = gateway
  }

  /**
   * The lecture's "circular DHT": follow successor pointers only, one message a node, until a
   * node's successor follows the target. Reported like `lookup`; for teaching and comparison.
   */
  lookupBySuccessors(now: Instant, id: Uint8Array): number {
    const handle = this.nextHandle++
    const target = this.ring.fromBytes(id)
    const hops: OverlayHop[] = []
    let messages = 0
    const finish = (ok: boolean, owner: NodeRef | undefined, error?: string): void =>
      this.emit({
        type: 'op_done',
        handle,
        kind: 'lookup',
        ok,
        ...(owner === undefined
          ? {}
          : { owner: { address: owner.address, id: this.ring.hex(owner.id) } }),
        ...(error === undefined ? {} : { error }),
        trace: { hops, messages },
      })
    if (target === undefined) {
      finish(false, undefined, 'id_out_of_range')
      return handle
    }
    const walk = (t: Instant, at: NodeRef, successor: NodeRef): void => {
      if (this.ring.inHalfOpen(target, at.id, successor.id)) return finish(true, successor)
      if (messages >= this.config.lookupStepsMax) return finish(false, undefined, 'too_many_steps')
      messages++
      this.request(t, successor, { type: 'get_predecessor' }, 'lookup', {
        onAnswer: (t2, m) => {
          if (m.type !== 'predecessor' || m.successors[0] === undefined) {
            hops.push({
              node: successor.address,
              id: this.ring.hex(successor.id),
              sentAt: t,
              outcome: 'error',
            })
            return finish(false, undefined, 'bad_answer')
          }
          const next = m.successors[0]
          const owner = this.ring.inHalfOpen(target, successor.id, next.id)
          hops.push({
            node: successor.address,
            id: this.ring.hex(successor.id),
            sentAt: t,
            answeredAt: t2,
            outcome: owner ? 'owner' : 'next',
          })
          walk(t2, successor, next)
        },
        onTimeout: () => {
          hops.push({
            node: successor.address,
            id: this.ring.hex(successor.id),
            sentAt: t,
            outcome: 'timeout',
          })
          finish(false, undefined, 'timeout')
        },
      })
    }
    walk(now, this.self, this.successor)
    return handle
  }

  protected answerFindSuccessor(asker: NodeRef, tid: number, target: bigint): void {
    if (this.ring.inHalfOpen(target, this.self.id, this.successor.id)) {
      this.send(asker.address, {
        type: 'found',
        tid,
        sender: this.self.id,
        successors: this.successorList(),
      })
      return
    }
    const candidates = this.closestPreceding(target, this.config.candidates)
    this.send(asker.address, { type: 'next', tid, sender: this.self.id, candidates })
  }

  protected startLookup(
    now: Instant,
    target: bigint,
    maintenance: boolean,
    first: readonly NodeRef[],
    done: Lookup['done'],
    /** False while joining: this node's own state says nothing about the ring yet. */
    answerLocally = true,
  ): void {
    const lookup: Lookup = {
      target,
      hops: [],
      messages: 0,
      candidates: [],
      tried: new Set(),
      maintenance,
      done,
    }
    // The target is answered here without a message when it lies in (n, successor], or when
    // no known node precedes it (this node alone, or not yet stabilized): the best we know.
    const local =
      first.length === 0 || this.ring.inHalfOpen(target, this.self.id, this.successor.id)
    if (answerLocally && local) {
      return done(now, { ok: true, successors: this.successorList() }, lookup)
    }
    this.mergeCandidates(lookup, first)
    this.lookupStep(now, lookup)
  }

  /** A client's lookup: the gateway is asked first (its id unknown), then as `lookupStep`. */
  protected lookupThrough(
    now: Instant,
    gateway: Address,
    target: bigint,
    done: Lookup['done'],
  ): void {
    const lookup: Lookup = {
      target,
      hops: [],
      messages: 1,
      candidates: [],
      tried: new Set(),
      maintenance: false,
      done,
    }
    this.request(now, { address: gateway }, { type: 'find_successor', target }, 'lookup', {
      onAnswer: (t, m) => {
        const hop = { node: gateway, id: this.ring.hex(m.sender), sentAt: now, answeredAt: t }
        if (m.type === 'found' && m.successors.length > 0) {
          lookup.hops.push({ ...hop, outcome: 'owner' })
          return done(t, { ok: true, successors: m.successors }, lookup)
        }
        if (m.type !== 'next') {
          lookup.hops.push({ ...hop, outcome: 'error' })
          return done(t, { ok: false, error: 'bad_answer' }, lookup)
        }
        lookup.hops.push({ ...hop, outcome: 'next' })
        lookup.tried.add(m.sender)
        this.mergeCandidates(
          lookup,
          m.candidates.filter((c) => this.ring.inOpen(c.id, m.sender, target)),
        )
        this.lookupStep(t, lookup)
      },
      onTimeout: (t) => {
        lookup.hops.push({ node: gateway, sentAt: now, outcome: 'timeout' })
        done(t, { ok: false, error: 'timeout' }, lookup)
      },
    })
  }

  protected mergeCandidates(lookup: Lookup, more: readonly NodeRef[]): void {
    for (const c of more) {
      if (c.id === this.self.id || lookup.tried.has(c.id)) continue
      if (lookup.candidates.some((x) => x.id === c.id)) continue
      lookup.candidates.push(c)
    }
    const t = lookup.target
    lookup.candidates.sort((a, b) => {
      const da = this.ring.distance(a.id, t)
      const db = this.ring.distance(b.id, t)
      return da < db ? -1 : da > db ? 1 : 0
    })
  }

  protected lookupStep(now: Instant, lookup: Lookup): void {
    const next = lookup.candidates.shift()
    if (next === undefined) return lookup.done(now, { ok: false, error: 'no_route' }, lookup)
    if (lookup.tried.size >= this.config.lookupStepsMax) {
      return lookup.done(now, { ok: false, error: 'too_many_steps' }, lookup)
    }
    lookup.tried.add(next.id)
    lookup.messages++
    const sentAt = now
    this.request(
      now,
      next,
      { type: 'find_successor', target: lookup.target },
      lookup.maintenance ? 'maintenance' : 'lookup',
      {
        onAnswer: (t, m) => {
          const hop = { node: next.address, id: this.ring.hex(next.id), sentAt, answeredAt: t }
          if (m.type === 'found' && m.successors.length > 0) {
            lookup.hops.push({ ...hop, outcome: 'owner' })
            return lookup.done(t, { ok: true, successors: m.successors }, lookup)
          }
          if (m.type !== 'next') {
            lookup.hops.push({ ...hop, outcome: 'error' })
            return this.lookupStep(t, lookup)
          }
          lookup.hops.push({ ...hop, outcome: 'next' })
          // Only nodes strictly between the asked node and the target are progress.
          const useful = m.candidates.filter((c) => this.ring.inOpen(c.id, next.id, lookup.target))
          this.mergeCandidates(lookup, useful)
          this.lookupStep(t, lookup)
        },
        onTimeout: (t) => {
          lookup.hops.push({
            node: next.address,
            id: this.ring.hex(next.id),
            sentAt,
            outcome: 'timeout',
          })
          this.forget(next.id)
          this.lookupStep(t, lookup)
        },
      },
    )
  }
}

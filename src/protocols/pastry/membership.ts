import type { Address } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import type { Instant } from '../../core/time.js'
import { closer, type PastryId } from './id.js'
import type { PastryRef } from './messages.js'
import { PastryStorage } from './storage.js'

/**
 * Membership: the first node, the join through a nearby node, announcements (with the hand-over
 * of keys now closer to the newcomer), RTT probes for proximity, and repair after a failure.
 * The fourth layer of `PastryNode`.
 */
export abstract class PastryMembership extends PastryStorage {
  create(): void {
    this.isJoined = true
  }

  /**
   * Starts as a member with tables built elsewhere (the simulator's central build for very
   * large N, where every node's join would cost more than the measurement): routing-table
   * entries first, so that a leaf offered later does not take a slot an entry was chosen for.
   * No messages are sent; the heartbeat keeps the leaf set from then on.
   */
  install(entries: readonly PastryRef[], leaves: readonly PastryRef[]): void {
    for (const r of entries) this.state.consider(r)
    for (const r of leaves) this.state.consider(r)
    this.isJoined = true
  }

  /** Joins through `nearby` (the paper: a node close by the proximity metric). */
  join(now: Instant, nearby: Address): void {
    const op = this.newOp('join', this.id)
    this.ask(now, op, { id: '', address: nearby } as PastryRef)
  }

  protected onAnnounce(now: Instant, ref: PastryRef): void {
    this.learn(now, ref)
    // Keys now numerically closer to the newcomer move to it.
    const moving = [...this.store.values()].filter((s) => closer(s.id, ref.id, this.id))
    if (moving.length === 0) return
    for (const s of moving) this.store.delete(toHex(s.key))
    this.sendItems(ref.address, moving, false)
    this.emit({ type: 'keys_moved', count: moving.length, direction: 'out' })
  }

  /**
   * Takes a node into the tables. Its RTT is measured only when there is a choice to make, as
   * the paper's join does: when it and another node are candidates for one routing-table slot
   * (both are probed, and the nearer keeps the slot), or when `measure` asks for it (the
   * nearby node's neighbourhood set, which is ordered by RTT). Probing every node learned cost
   * a join a ping to each of the ~100 nodes it hears of at 100,000 nodes.
   */
  protected learn(now: Instant, ref: PastryRef, measure = false): void {
    const rival = this.state.slotHolder(ref)
    this.state.consider(ref)
    if (this.state.rtt.has(ref.id)) return
    if (rival === undefined && !measure) return
    this.probe(now, ref, false)
    if (rival !== undefined && !this.state.rtt.has(rival.id)) this.probe(now, rival, false)
  }

  /** Pings `ref` for liveness and RTT; with `wantLeaves` its leaf set repairs ours. */
  protected probe(now: Instant, ref: PastryRef, wantLeaves: boolean): void {
    if (this.probing.has(ref.id)) return
    this.probing.add(ref.id)
    this.maintenanceSent++
    this.request(
      now,
      ref.address,
      (tx) => ({ type: 'ping', tx, id: this.id, wantLeaves }),
      (at, reply) => {
        this.probing.delete(ref.id)
        if (reply.type !== 'pong' || reply.id !== ref.id) return
        this.state.rtt.set(ref.id, at - now)
        this.state.consider(ref)
        // Leaf-set repair: the peer's leaves fill gaps in ours.
        for (const r of reply.leaves)
          if (r.id !== this.id && !this.failed.has(r.id)) this.state.consider(r)
      },
      (at) => {
        this.probing.delete(ref.id)
        this.forget(at, ref.id)
      },
    )
  }

  /** A node failed: drop it, and refill its routing-table slot from the same row. */
  protected forget(now: Instant, id: PastryId): void {
    this.failed.set(id, now)
    // Keys the failed node owned and this node now owns: recovered from our replicas.
    const theirs = [...this.store.values()].filter((s) => closer(s.id, id, this.id))
    const row = this.state.remove(id)
    const recovered = theirs.filter((s) => this.owns(s.id)).length
    if (recovered > 0) this.emit({ type: 'keys_moved', count: recovered, direction: 'in' })
    if (row === undefined) return
    const others = this.state.row(row)
    if (others.length === 0) return
    const helper = others[this.random.int(others.length)] as PastryRef
    this.repairs++
    this.maintenanceSent++
    // The helper shares `row` digits with us; its row `row` holds candidates for the hole.
    this.request(
      now,
      helper.address,
      (tx) => ({ type: 'route', tx, key: id, join: true, avoid: [] }),
      (at, reply) => {
        if (reply.type !== 'route_reply') return
        for (const r of reply.row) {
          if (r.id !== id && r.id !== this.id && !this.failed.has(r.id)) this.learn(at, r)
        }
      },
      () => undefined,
    )
  }
}

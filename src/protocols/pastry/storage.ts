import type { Address } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import type { Instant } from '../../core/time.js'
import { PASTRY_LIMITS } from './codec.js'
import { closer, type PastryId } from './id.js'
import type { PastryAction, PastryMessage, PastryRef } from './messages.js'
import type { Stored } from './node-types.js'
import { PastryRouting } from './routing.js'

/**
 * Items at the numerically closest node and copies on the leaves closest to each key (PAST's
 * k closest), pushed again every heartbeat. The third layer of `PastryNode`.
 */
export abstract class PastryStorage extends PastryRouting {
  put(now: Instant, key: Uint8Array, value: Uint8Array): number {
    return this.dataOp(now, 'put', key, value)
  }

  get(now: Instant, key: Uint8Array): number {
    return this.dataOp(now, 'get', key)
  }

  remove(now: Instant, key: Uint8Array): number {
    return this.dataOp(now, 'remove', key)
  }

  protected dataOp(
    now: Instant,
    action: PastryAction,
    key: Uint8Array,
    value?: Uint8Array,
  ): number {
    const op = this.newOp(action, this.keyId(key), key, value)
    this.route(now, op)
    return op.handle
  }

  protected onData(from: Address, m: Extract<PastryMessage, { type: 'data' }>): void {
    const answer = this.applyData(m.action, m.key, m.value)
    // tx 0: an owner removing its copies wants no answer.
    if (m.tx === 0) return
    this.send(from, {
      type: 'data_reply',
      tx: m.tx,
      status: answer.status,
      ...(answer.value === undefined ? {} : { value: answer.value }),
    })
  }

  protected applyData(
    action: PastryAction,
    key: Uint8Array,
    value?: Uint8Array,
  ): { status: 'ok' | 'not_found'; value?: Uint8Array } {
    const name = toHex(key)
    if (action === 'put') {
      const item = { key, value: value ?? new Uint8Array(0), id: this.keyId(key) }
      this.store.set(name, item)
      this.pushReplicas([item])
      return { status: 'ok' }
    }
    const found = this.store.get(name)
    if (found === undefined) return { status: 'not_found' }
    if (action === 'remove') {
      this.store.delete(name)
      // The owner deletes its copies too (a replica that misses this keeps a stale copy).
      if (this.owns(found.id)) this.removeReplicas(found)
    }
    return { status: 'ok', value: found.value }
  }

  protected sendItems(
    to: Address,
    items: readonly { key: Uint8Array; value: Uint8Array }[],
    replica: boolean,
  ): void {
    for (let i = 0; i < items.length; i += PASTRY_LIMITS.items) {
      if (replica) this.maintenanceSent++
      this.send(to, { type: 'store', replica, items: items.slice(i, i + PASTRY_LIMITS.items) })
    }
  }

  /** This node is the numerically closest it knows to `id`: it owns the key. */
  protected owns(id: PastryId): boolean {
    return this.state.leaves.every((r) => !closer(id, r.id, this.id))
  }

  /** The `replicas - 1` leaves closest to `id`: where the owner keeps copies. */
  protected replicaTargets(id: PastryId): PastryRef[] {
    const k = this.config.replicas - 1
    if (k <= 0) return []
    return [...this.state.leaves]
      .sort((a, b) => (closer(id, a.id, b.id) ? -1 : closer(id, b.id, a.id) ? 1 : 0))
      .slice(0, k)
  }

  protected removeReplicas(item: Stored): void {
    for (const r of this.replicaTargets(item.id)) {
      this.maintenanceSent++
      this.send(r.address, { type: 'data', tx: 0, action: 'remove', key: item.key })
    }
  }

  /** Sends copies of the items this node owns to their replica leaves, one batch a leaf. */
  protected pushReplicas(items: Iterable<Stored>): void {
    const batches = new Map<string, { to: Address; items: Stored[] }>()
    for (const item of items) {
      if (!this.owns(item.id)) continue
      for (const r of this.replicaTargets(item.id)) {
        const batch = batches.get(r.id) ?? { to: r.address, items: [] }
        batch.items.push(item)
        batches.set(r.id, batch)
      }
    }
    for (const { to, items: batch } of batches.values()) this.sendItems(to, batch, true)
  }
}

import type { Address } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import type { Instant } from '../../core/time.js'
import type { CanItem, CanMessage, DataAction, HandoffKind } from './messages.js'
import { type DataAnswer, ITEMS_PER_HANDOFF, type Stored } from './node-types.js'
import { CanRouting } from './routing.js'

/**
 * Items: put, get and remove at the owner of the key's point, copies on its neighbours, and
 * hand-offs when zones change hands. The third layer of `CanNode`.
 */
export abstract class CanStorage extends CanRouting {
  put(now: Instant, key: Uint8Array, value: Uint8Array): number {
    return this.dataOp(now, 'put', key, value)
  }

  get(now: Instant, key: Uint8Array): number {
    return this.dataOp(now, 'get', key)
  }

  remove(now: Instant, key: Uint8Array): number {
    return this.dataOp(now, 'remove', key)
  }

  protected dataOp(now: Instant, action: DataAction, key: Uint8Array, value?: Uint8Array): number {
    const op = this.newOp(action, this.pointOf(key), key, value)
    this.route(now, op)
    return op.handle
  }

  protected onData(from: Address, m: Extract<CanMessage, { type: 'data' }>): void {
    const answer = this.applyData(m.action, m.key, m.value)
    this.send(from, {
      type: 'data_reply',
      tx: m.tx,
      status: answer.status,
      stored: Math.min(255, answer.stored),
      ...(answer.value === undefined ? {} : { value: answer.value }),
    })
  }

  protected applyData(action: DataAction, key: Uint8Array, value?: Uint8Array): DataAnswer {
    const point = this.pointOf(key)
    if (!this.owns(point)) return { status: 'not_owner', stored: 0 }
    const name = toHex(key)
    if (action === 'get') {
      const found = this.store.get(name)
      return found === undefined
        ? { status: 'not_found', stored: 0 }
        : { status: 'ok', stored: 1, value: found.value }
    }
    const item = { key, value: value ?? new Uint8Array(0), point }
    if (action === 'put') this.store.set(name, item)
    else if (!this.store.delete(name)) return { status: 'not_found', stored: 0 }
    let copies = 0
    if (this.config.replicate) {
      for (const n of this.neighbours.values()) {
        this.handoff(n.info.address, action === 'put' ? 'replica' : 'unreplicate', [item])
        copies++
      }
    }
    return { status: 'ok', stored: 1 + copies }
  }

  protected onHandoff(kind: HandoffKind, items: readonly CanItem[]): void {
    let moved = 0
    for (const item of items) {
      const name = toHex(item.key)
      const stored = { ...item, point: this.pointOf(item.key) }
      if (kind === 'primary') {
        this.store.set(name, stored)
        moved++
      } else if (kind === 'replica') this.replicas.set(name, stored)
      else this.replicas.delete(name)
    }
    if (moved > 0) this.emit({ type: 'keys_moved', count: moved, direction: 'in' })
  }

  protected handoff(to: Address, kind: HandoffKind, items: readonly Stored[]): void {
    for (let i = 0; i < items.length; i += ITEMS_PER_HANDOFF) {
      const chunk = items
        .slice(i, i + ITEMS_PER_HANDOFF)
        .map((s) => ({ key: s.key, value: s.value }))
      this.send(to, { type: 'handoff', kind, items: chunk })
    }
  }
}

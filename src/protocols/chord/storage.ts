import type { Address } from '../../core/address.js'
import type { Instant } from '../../core/time.js'
import type { OverlayHop, OverlayOpKind } from '../overlay/dht.js'
import { VALUE_BYTES_MAX } from './codec.js'
import type { NodeRef } from './messages.js'
import type { Lookup } from './lookup.js'
import { ChordRecursive } from './recursive.js'
import type { ChordRequest } from './plumbing.js'

/**
 * The DHT operations of a Chord node: put, get and remove at successor(key) and the next
 * `replicas - 1` successors, and the periodic push of owned keys to those replicas. The fifth
 * layer of `ChordNode`.
 */
export abstract class ChordStorage extends ChordRecursive {
  readonly store = new Map<bigint, Uint8Array>()

  lookup(now: Instant, id: Uint8Array): number {
    return this.operation(now, 'lookup', id, undefined)
  }

  put(now: Instant, key: Uint8Array, value: Uint8Array): number {
    return this.operation(now, 'put', key, value)
  }

  get(now: Instant, key: Uint8Array): number {
    return this.operation(now, 'get', key, undefined)
  }

  remove(now: Instant, key: Uint8Array): number {
    return this.operation(now, 'remove', key, undefined)
  }

  protected operation(
    now: Instant,
    kind: OverlayOpKind,
    keyBytes: Uint8Array,
    value: Uint8Array | undefined,
  ): number {
    const handle = this.nextHandle++
    const target = this.ring.fromBytes(keyBytes)
    const fail = (error: string, lookup?: Lookup): void =>
      this.emit({
        type: 'op_done',
        handle,
        kind,
        ok: false,
        error,
        trace: { hops: lookup?.hops ?? [], messages: lookup?.messages ?? 0 },
      })
    if (this.stopped) {
      fail('stopped')
      return handle
    }
    if (target === undefined) {
      fail('id_out_of_range')
      return handle
    }
    if (value !== undefined && value.length > VALUE_BYTES_MAX) {
      fail('value_too_large')
      return handle
    }
    const found: Lookup['done'] = (t, result, lookup) => {
      if (!result.ok) return fail(result.error, lookup)
      const owner = result.successors[0] as NodeRef
      const trace = { hops: lookup.hops, messages: lookup.messages }
      const ownerOut = { address: owner.address, id: this.ring.hex(owner.id) }
      if (kind === 'lookup' && this.config.confirmOwner) {
        return this.confirmOwner(t, handle, result.successors, 0, lookup)
      }
      if (kind === 'lookup') {
        return this.emit({ type: 'op_done', handle, kind, ok: true, owner: ownerOut, trace })
      }
      const replicas = result.successors.slice(0, this.config.replicas)
      if (kind === 'get') return this.fetchFrom(t, handle, target, replicas, 0, lookup, ownerOut)
      this.writeReplicas(t, handle, kind, target, value, replicas, lookup, ownerOut)
    }
    if (this.gateway !== undefined && this.successors.length === 0 && !this.joining) {
      this.lookupThrough(now, this.gateway, target, found)
    } else if (this.config.recursive) {
      this.startRecursive(now, target, found)
    } else {
      this.startLookup(
        now,
        target,
        false,
        this.closestPreceding(target, this.config.candidates),
        found,
      )
    }
    return handle
  }

  /**
   * Names `successors[index]` as the owner once it answers a ping (this node needs none); a
   * silent one is skipped for the next, whose range now holds the key. Timeouts are hops of
   * the trace; an answer adds a message but no hop, so hop counts stay the path's length.
   */
  protected confirmOwner(
    now: Instant,
    handle: number,
    successors: readonly NodeRef[],
    index: number,
    lookup: Lookup,
  ): void {
    const candidate = successors[index]
    const finish = (owner: NodeRef | undefined): void =>
      this.emit({
        type: 'op_done',
        handle,
        kind: 'lookup',
        ok: owner !== undefined,
        ...(owner === undefined
          ? { error: 'owner_unreachable' }
          : { owner: { address: owner.address, id: this.ring.hex(owner.id) } }),
        trace: { hops: lookup.hops, messages: lookup.messages },
      })
    if (candidate === undefined) return finish(undefined)
    if (candidate.id === this.self.id) return finish(candidate)
    lookup.messages++
    this.request(now, candidate, { type: 'ping' }, 'lookup', {
      onAnswer: () => finish(candidate),
      onTimeout: (t) => {
        lookup.hops.push({
          node: candidate.address,
          id: this.ring.hex(candidate.id),
          sentAt: now,
          outcome: 'timeout',
        })
        this.confirmOwner(t, handle, successors, index + 1, lookup)
      },
    })
  }

  protected fetchFrom(
    now: Instant,
    handle: number,
    key: bigint,
    replicas: readonly NodeRef[],
    index: number,
    lookup: Lookup,
    owner: { address: Address; id: string },
  ): void {
    const trace = (): { hops: OverlayHop[]; messages: number } => ({
      hops: lookup.hops,
      messages: lookup.messages,
    })
    const replica = replicas[index]
    if (replica === undefined) {
      return this.emit({
        type: 'op_done',
        handle,
        kind: 'get',
        ok: false,
        error: 'not_found',
        owner,
        trace: trace(),
      })
    }
    const local = replica.id === this.self.id ? this.store.get(key) : undefined
    if (replica.id === this.self.id) {
      if (local !== undefined) {
        return this.emit({
          type: 'op_done',
          handle,
          kind: 'get',
          ok: true,
          value: local,
          owner,
          trace: trace(),
        })
      }
      return this.fetchFrom(now, handle, key, replicas, index + 1, lookup, owner)
    }
    lookup.messages++
    this.request(now, replica, { type: 'fetch', key }, 'storage', {
      onAnswer: (t, m) => {
        if (m.type === 'value' && m.value !== undefined) {
          return this.emit({
            type: 'op_done',
            handle,
            kind: 'get',
            ok: true,
            value: m.value,
            owner,
            trace: trace(),
          })
        }
        this.fetchFrom(t, handle, key, replicas, index + 1, lookup, owner)
      },
      onTimeout: (t) => {
        this.forget(replica.id)
        this.fetchFrom(t, handle, key, replicas, index + 1, lookup, owner)
      },
    })
  }

  protected writeReplicas(
    now: Instant,
    handle: number,
    kind: 'put' | 'remove',
    key: bigint,
    value: Uint8Array | undefined,
    replicas: readonly NodeRef[],
    lookup: Lookup,
    owner: { address: Address; id: string },
  ): void {
    let waiting = replicas.length
    let stored = 0
    const finish = (): void => {
      if (--waiting > 0) return
      this.emit({
        type: 'op_done',
        handle,
        kind,
        ok: stored > 0,
        stored,
        owner,
        ...(stored > 0 ? {} : { error: 'no_replica_answered' }),
        trace: { hops: lookup.hops, messages: lookup.messages },
      })
    }
    for (const replica of replicas) {
      if (replica.id === this.self.id) {
        if (kind === 'put') this.store.set(key, value as Uint8Array)
        else this.store.delete(key)
        stored++
        finish()
        continue
      }
      lookup.messages++
      const message: ChordRequest =
        kind === 'put'
          ? { type: 'store', key, value: value as Uint8Array }
          : { type: 'remove', key }
      this.request(now, replica, message, 'storage', {
        onAnswer: (_t, m) => {
          if (m.type === 'stored' || m.type === 'removed') stored++
          finish()
        },
        onTimeout: () => finish(),
      })
    }
  }

  /** Pushes the keys this node owns to its next `replicas - 1` successors. */
  protected replicate(): void {
    if (this.predecessor === undefined || this.store.size === 0) return
    const targets = this.successors.slice(0, this.config.replicas - 1)
    for (const [key, value] of this.store) {
      if (!this.ring.inHalfOpen(key, this.predecessor.id, this.self.id)) continue
      for (const t of targets) {
        this.counters.maintenanceSent++
        this.send(t.address, { type: 'store', tid: 0, sender: this.self.id, key, value })
      }
    }
  }
}

import type { Address } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import type { DatagramCore, Output } from '../../core/core.js'
import { idFromBytes, type Id160 } from '../../core/id.js'
import type { Instant } from '../../core/time.js'
import type { OverlayDht, OverlayEvent, OverlayOpKind } from '../overlay/dht.js'
import type { Hashing } from '../../core/env.js'
import type { Ed25519 } from './ed25519.js'
import { ITEM_SALT_BYTES_MAX, mutableTarget } from './items.js'
import type { KrpcMessage } from './messages.js'
import type { DhtNode } from './node.js'
import type { DhtEvent } from './operation.js'

type DhtDone = Extract<DhtEvent, { type: 'done' }>

/**
 * Kademlia (the Mainline DHT core, unchanged on the wire) behind the structured overlays'
 * `OverlayDht` interface, so the simulator and tests can run it on the same workload as Chord,
 * Pastry and CAN. `put(key, value)` is a BEP 44 mutable item signed with this adapter's key,
 * with the key as salt (SHA-1 of it when longer than the 64 bytes a salt may have); `get`
 * reads it back; `lookup` finds the k closest nodes, the closest being the "owner". BEP 44 has
 * no delete, so `remove` fails with `unsupported`; Kademlia has no graceful leave (a node's
 * contacts age out), so `leave` only stops the adapter answering operations.
 *
 * The trace's `hopCount` is Kademlia's own (the depth of the closest node that answered): its
 * alpha-parallel rounds do not form one path of nodes. Kademlia's other events (bootstrap
 * results, streamed values, address news) are not part of the interface and are not passed on.
 */
export class KademliaOverlay implements DatagramCore<KrpcMessage, OverlayEvent>, OverlayDht {
  readonly id: string
  private readonly kinds = new Map<number, OverlayOpKind>()
  private outputs: Output<KrpcMessage, OverlayEvent>[] = []
  private stopped = false

  private readonly publicKey: Uint8Array

  constructor(
    readonly node: DhtNode,
    /** The ed25519 seed (32 bytes) that signs this adapter's items. */
    private readonly seed: Uint8Array,
    private readonly deps: { readonly hashing: Hashing; readonly ed25519: Ed25519 },
  ) {
    this.id = toHex(node.id)
    this.publicKey = deps.ed25519.publicKeyOf(seed)
  }

  /** A BEP 44 salt is at most 64 bytes: longer keys go by their SHA-1. */
  private saltOf(key: Uint8Array): Uint8Array {
    return key.length <= ITEM_SALT_BYTES_MAX ? key : this.deps.hashing.sha1([key])
  }

  lookup(now: Instant, id: Uint8Array): number {
    const target = idFromBytes(id)
    if (target === undefined) return this.refuse('lookup', 'id_out_of_range')
    return this.track(this.node.lookup(now, target), 'lookup')
  }

  put(now: Instant, key: Uint8Array, value: Uint8Array): number {
    if (this.stopped) return this.refuse('put', 'stopped')
    const handle = this.node.putMutable(now, { seed: this.seed, salt: this.saltOf(key), value })
    return this.track(handle, 'put')
  }

  get(now: Instant, key: Uint8Array): number {
    if (this.stopped) return this.refuse('get', 'stopped')
    const salt = this.saltOf(key)
    const target: Id160 = mutableTarget(this.deps.hashing, this.publicKey, salt)
    return this.track(this.node.get(now, target, { salt }), 'get')
  }

  remove(_now: Instant, _key: Uint8Array): number {
    return this.refuse('remove', 'unsupported')
  }

  leave(_now: Instant): void {
    this.stopped = true
  }

  receive(now: Instant, from: Address, message: KrpcMessage): void {
    this.node.receive(now, from, message)
  }

  timeout(now: Instant): void {
    this.node.timeout(now)
  }

  nextTimeout(): Instant | undefined {
    return this.node.nextTimeout()
  }

  takeOutputs(): Output<KrpcMessage, OverlayEvent>[] {
    for (const output of this.node.takeOutputs()) {
      if (output.type === 'send') {
        this.outputs.push(output)
        continue
      }
      // Only the operations' outcomes cross the interface (bootstraps, streamed values and
      // address news stay inside Kademlia).
      if (output.event.type !== 'done') continue
      const kind = this.kinds.get(output.event.handle)
      if (kind === undefined) continue
      this.kinds.delete(output.event.handle)
      this.outputs.push({ type: 'event', event: this.translate(kind, output.event) })
    }
    const out = this.outputs
    this.outputs = []
    return out
  }

  private track(handle: number, kind: OverlayOpKind): number {
    this.kinds.set(handle, kind)
    return handle
  }

  /** Adapter handles for refused operations are negative: the node's own are positive. */
  private refusals = 0
  private refuse(kind: OverlayOpKind, error: string): number {
    const handle = -++this.refusals
    this.outputs.push({
      type: 'event',
      event: { type: 'op_done', handle, kind, ok: false, error, trace: { hops: [], messages: 0 } },
    })
    return handle
  }

  private translate(kind: OverlayOpKind, done: DhtDone): OverlayEvent {
    const closest = done.closest[0]
    const owner =
      closest === undefined ? {} : { owner: { address: closest.address, id: toHex(closest.id) } }
    const trace = { hops: [], hopCount: done.trace.hops, messages: done.trace.messages }
    const base = { type: 'op_done' as const, handle: done.handle, kind, trace, ...owner }
    if (kind === 'lookup') return { ...base, ok: closest !== undefined }
    if (kind === 'put') {
      return {
        ...base,
        ok: done.stored > 0,
        stored: done.stored,
        ...(done.stored > 0 ? {} : { error: 'no_node_stored' }),
      }
    }
    const value = done.item?.value
    if (value instanceof Uint8Array) return { ...base, ok: true, value }
    return { ...base, ok: false, error: 'not_found' }
  }
}

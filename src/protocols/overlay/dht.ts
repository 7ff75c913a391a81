import type { Address } from '../../core/address.js'
import type { Instant } from '../../core/time.js'

/**
 * The one interface every structured overlay offers (issue 14): Chord, Pastry, CAN and
 * Kademlia behind the same operations, so the simulator and the CLI can run any of them on the
 * same workload. Sans-IO like every core: an operation is started with `now` and returns a
 * handle; its outcome arrives later as an `OverlayEvent` (`op_done`) carrying the hop-by-hop
 * trace. Keys and ids are byte strings of the overlay's own id width (160 bits for Chord and
 * Kademlia by default, 128 for Pastry; CAN maps a key to a point by hashing).
 */

/** One hop of a lookup: who was asked, when, and what it answered. */
export interface OverlayHop {
  readonly node: Address
  /** The node's overlay id (hex), when known. */
  readonly id?: string
  readonly sentAt: Instant
  readonly answeredAt?: Instant
  /** 'next': it pointed further; 'owner': it owns the key; 'timeout'; 'error'. */
  readonly outcome: 'next' | 'owner' | 'timeout' | 'error'
}

export interface OverlayTrace {
  /** Per node asked, in order. Empty for Kademlia, whose parallel rounds are counted instead. */
  readonly hops: readonly OverlayHop[]
  /**
   * The path length when `hops` does not list it node by node: Kademlia's depth of the closest
   * node that answered (alpha nodes are asked a round).
   */
  readonly hopCount?: number
  /** Messages sent for the operation (retries and parallel probes included). */
  readonly messages: number
}

export type OverlayOpKind = 'lookup' | 'put' | 'get' | 'remove'

export type OverlayEvent =
  | {
      readonly type: 'op_done'
      readonly handle: number
      readonly kind: OverlayOpKind
      readonly ok: boolean
      /** The node that owns the key or id (lookup), when found. */
      readonly owner?: { readonly address: Address; readonly id: string }
      /** get: the value found. */
      readonly value?: Uint8Array
      /** put / remove: replicas that acknowledged (1 + successful replica writes). */
      readonly stored?: number
      readonly error?: string
      readonly trace: OverlayTrace
    }
  /** Keys handed to or taken from this node (join, graceful leave, replica recovery). */
  | { readonly type: 'keys_moved'; readonly count: number; readonly direction: 'in' | 'out' }

/** The operations of a structured overlay node's core. */
export interface OverlayDht {
  /** This node's id (hex). */
  readonly id: string
  /** Find the node responsible for `id`; the result names it and carries the trace. */
  lookup(now: Instant, id: Uint8Array): number
  /** Store `value` under `key` at its owner and on r replicas. */
  put(now: Instant, key: Uint8Array, value: Uint8Array): number
  get(now: Instant, key: Uint8Array): number
  remove(now: Instant, key: Uint8Array): number
  /** Graceful leave: hand every key to the nodes that take over, then stop answering. */
  leave(now: Instant): void
}

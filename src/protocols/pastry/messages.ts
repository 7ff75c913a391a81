import type { Address } from '../../core/address.js'
import type { PastryId } from './id.js'

export interface PastryRef {
  readonly id: PastryId
  readonly address: Address
}

export type PastryAction = 'put' | 'get' | 'remove'

/**
 * Pastry messages. Routing is iterative so the origin holds the trace: each hop answers
 * `route` with 'owner' or the next node. A joining node routes its own id with `join` set and
 * collects state along the way, as in the paper: the routing-table row it shares a prefix
 * with from each hop, the first hop's neighbourhood set, the last hop's leaf set.
 */
export type PastryMessage =
  | {
      readonly type: 'route'
      readonly tx: number
      readonly key: PastryId
      readonly join: boolean
      readonly avoid: readonly Address[]
    }
  | {
      readonly type: 'route_reply'
      readonly tx: number
      readonly status: 'owner' | 'next'
      readonly node: PastryRef
      /** join: the hop's routing-table row at its shared prefix with the key. */
      readonly row: readonly PastryRef[]
      /** join: the hop's leaf set (used from the last hop). */
      readonly leaves: readonly PastryRef[]
      /** join: the hop's neighbourhood set (used from the first hop, the nearby one). */
      readonly near: readonly PastryRef[]
    }
  /** "I am here": a new node tells the nodes in its state; they may add it. */
  | { readonly type: 'announce'; readonly id: PastryId }
  /**
   * Liveness and RTT probe. With `wantLeaves` the answer carries the leaf set, for repair: asked
   * of the two adjacent leaves each heartbeat, and of every leaf while ours has a gap.
   */
  | {
      readonly type: 'ping'
      readonly tx: number
      readonly id: PastryId
      readonly wantLeaves: boolean
    }
  | {
      readonly type: 'pong'
      readonly tx: number
      readonly id: PastryId
      readonly leaves: readonly PastryRef[]
    }
  | {
      readonly type: 'data'
      readonly tx: number
      readonly action: PastryAction
      readonly key: Uint8Array
      readonly value?: Uint8Array
    }
  | {
      readonly type: 'data_reply'
      readonly tx: number
      readonly status: 'ok' | 'not_found'
      readonly value?: Uint8Array
    }
  | {
      readonly type: 'store'
      /** A copy for a replica (kept quietly), or keys handed over (a join, a leave). */
      readonly replica: boolean
      readonly items: readonly { readonly key: Uint8Array; readonly value: Uint8Array }[]
    }

export const pastryMessageName = (message: unknown): string =>
  typeof message === 'object' && message !== null && 'type' in message
    ? `pastry.${String((message as { type: unknown }).type)}`
    : 'pastry.message'

import type { Address } from '../../core/address.js'
import type { Hashing } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import type { OverlayHop, OverlayOpKind } from '../overlay/dht.js'
import type { PastryId } from './id.js'
import type { PastryRef } from './messages.js'

export interface PastryConfig {
  /** Leaf set size L (L/2 each side). */
  readonly leafSize: number
  /** Neighbourhood set size M. */
  readonly nearSize: number
  /** Leaf-set liveness pings. */
  readonly heartbeatMs: number
  readonly requestTimeoutMs: number
  readonly attempts: number
  readonly maxHops: number
  /**
   * Copies of each key: the owner (the numerically closest node) and the `replicas - 1` leaves
   * closest to the key, as PAST keeps them. A crashed owner's keys are then already on the node
   * that becomes closest.
   */
  readonly replicas: number
}

export const DEFAULT_PASTRY_CONFIG: PastryConfig = {
  leafSize: 16,
  nearSize: 32,
  heartbeatMs: 30_000,
  requestTimeoutMs: 2_000,
  attempts: 4,
  maxHops: 64,
  replicas: 3,
}

export interface PastryDeps {
  readonly random: Random
  readonly hashing: Hashing
}

export interface PastryNodeOptions {
  readonly config?: PastryConfig
  readonly self: Address
  /** A fixed id (32 hex digits); random otherwise. */
  readonly id?: PastryId
}

export type OpKind = OverlayOpKind | 'join'

export interface Stored {
  readonly key: Uint8Array
  readonly value: Uint8Array
  readonly id: PastryId
}

export interface Op {
  readonly handle: number
  readonly kind: OpKind
  readonly key: PastryId
  readonly dataKey?: Uint8Array
  readonly value?: Uint8Array
  readonly hops: OverlayHop[]
  messages: number
  attempts: number
  readonly avoid: Address[]
  previous?: PastryRef
}

export interface PastryStats {
  readonly known: number
  readonly leaves: number
  readonly tableEntries: number
  readonly near: number
  readonly items: number
  readonly maintenanceSent: number
  readonly repairs: number
  readonly dropped: number
}

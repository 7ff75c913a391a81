import type { Address } from '../../core/address.js'
import type { ChordConfig } from './config.js'
import type { NodeRef } from './messages.js'
import type { OverlayEvent } from '../overlay/dht.js'
import type { Hashing } from '../../core/env.js'
import type { Random } from '../../core/random.js'

/** Why a datagram was refused; each is reported as a `dropped` event, never thrown. */
export type ChordDropReason =
  | 'id_not_owned'
  | 'id_collision'
  | 'replayed_notify'
  | 'unexpected_answer'
  | 'store_full'
  | 'stopped'
  | 'not_joined'
  /** A recursive route grew past the codec's path limit. */
  | 'route_too_long'

export type ChordEvent =
  | OverlayEvent
  | { readonly type: 'dropped'; readonly from: Address; readonly reason: ChordDropReason }
  | { readonly type: 'joined'; readonly successor: NodeRef }

export interface ChordDeps {
  readonly random: Random
  /** Needed only with `idsFromAddress`. */
  readonly hashing?: Hashing
}

export interface ChordOptions {
  readonly config?: Partial<ChordConfig>
  /** Where this node is reachable, as others see it. */
  readonly address: Address
  /** The node's id (ignored with `idsFromAddress`); random when absent. */
  readonly id?: bigint
}

/** The routing state a stabilized node holds, for tests and simulators that build rings. */
export interface ChordState {
  readonly predecessor?: NodeRef
  readonly successors: readonly NodeRef[]
  /** finger[1..m], index 0 is finger 1; undefined means "this node itself". */
  readonly fingers: readonly (NodeRef | undefined)[]
}

export interface ChordStats {
  readonly maintenanceSent: number
  readonly lookupSent: number
  readonly storageSent: number
  readonly dropped: number
  readonly keys: number
  /** Distinct nodes in fingers, successor list and predecessor: the routing state's size. */
  readonly stateNodes: number
}

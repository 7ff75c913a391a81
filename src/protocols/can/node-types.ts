import type { Address } from '../../core/address.js'
import type { Hashing } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import type { Instant } from '../../core/time.js'
import type { OverlayHop, OverlayOpKind } from '../overlay/dht.js'
import { CAN_LIMITS } from './codec.js'
import type { CanConfig } from './config.js'
import type { CanNodeInfo } from './messages.js'
import type { Point, ZonePath } from './zone.js'

export interface CanDeps {
  readonly random: Random
  readonly hashing: Hashing
  /**
   * Where a key lives, when not by hashing: the lecture names its items' coordinates. Every
   * node of a network must use the same function.
   */
  readonly place?: (key: Uint8Array) => Point
}

export interface CanNodeOptions {
  readonly config: CanConfig
  /** The address others reach this node at (it travels in neighbour lists). */
  readonly self: Address
  /** A fixed id (hex) for teaching examples; random otherwise. */
  readonly id?: string
}

export interface Neighbour {
  info: CanNodeInfo
  lastHeard: Instant
  /** Its own neighbour list as it last announced it: who may take over its zones. */
  theirs: readonly CanNodeInfo[]
  /**
   * Heard from first-hand (or handed a zone by us). Only such a neighbour's silence means a
   * failure: one learned from another's list may simply not think us adjacent any more.
   */
  direct: boolean
}

export interface Stored {
  readonly key: Uint8Array
  readonly value: Uint8Array
  readonly point: Point
}

export type OpKind = OverlayOpKind | 'join'

export interface Op {
  readonly handle: number
  readonly kind: OpKind
  readonly point: Point
  readonly key?: Uint8Array
  readonly value?: Uint8Array
  readonly hops: OverlayHop[]
  messages: number
  attempts: number
  readonly avoid: Address[]
  /** The hop that pointed at the one being asked; undefined: this node decided. */
  previous?: CanNodeInfo
  /** Where to start when this node cannot route (a joining node's bootstrap). */
  entry?: Address
}

export interface Takeover {
  readonly zones: readonly ZonePath[]
  readonly neighbours: readonly CanNodeInfo[]
  readonly at: Instant
}

export interface CanStats {
  readonly zones: readonly ZonePath[]
  readonly neighbours: number
  readonly items: number
  readonly replicas: number
  readonly maintenanceSent: number
  readonly takeovers: number
  readonly joinsRefused: number
  readonly dropped: number
}

export const ITEMS_PER_HANDOFF = CAN_LIMITS.items

export interface DataAnswer {
  readonly status: 'ok' | 'not_found' | 'not_owner'
  readonly stored: number
  readonly value?: Uint8Array
}

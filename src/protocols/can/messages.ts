import type { Address } from '../../core/address.js'
import type { Point, ZonePath } from './zone.js'

/** A node as others learn it: where it is, its id, and the zones it owns. */
export interface CanNodeInfo {
  readonly address: Address
  readonly id: string
  readonly zones: readonly ZonePath[]
}

export interface CanItem {
  readonly key: Uint8Array
  readonly value: Uint8Array
}

export type DataAction = 'put' | 'get' | 'remove'
export type HandoffKind = 'primary' | 'replica' | 'unreplicate'

/**
 * The CAN messages. Lookups are iterative: the origin asks each hop `route` and the hop
 * answers whether it owns the point or which neighbour is closer (greedy forwarding), so the
 * origin holds the hop-by-hop trace and can route around a silent hop.
 */
export type CanMessage =
  | {
      readonly type: 'route'
      readonly tx: number
      readonly point: Point
      /** Hops the origin found silent: the answerer must not point at them. */
      readonly avoid: readonly Address[]
    }
  | {
      readonly type: 'route_reply'
      readonly tx: number
      /** 'owner': the answerer owns the point; 'next': ask `node`; 'none': no way on. */
      readonly status: 'owner' | 'next' | 'none'
      readonly node?: CanNodeInfo
    }
  | {
      readonly type: 'data'
      readonly tx: number
      readonly action: DataAction
      readonly key: Uint8Array
      readonly value?: Uint8Array
    }
  | {
      readonly type: 'data_reply'
      readonly tx: number
      readonly status: 'ok' | 'not_found' | 'not_owner'
      readonly stored: number
      readonly value?: Uint8Array
    }
  | {
      readonly type: 'join'
      readonly tx: number
      readonly id: string
      readonly point: Point
      /**
       * Sent on by the point's owner (uniform partitioning): split your own largest zone, even
       * though it does not hold the point, and do not send the newcomer on again.
       */
      readonly redirected: boolean
    }
  | {
      readonly type: 'join_reply'
      readonly tx: number
      readonly accepted: boolean
      readonly zones: readonly ZonePath[]
      readonly neighbours: readonly CanNodeInfo[]
      /** Not accepted here: this neighbour's zone is larger, ask it (uniform partitioning). */
      readonly redirect?: CanNodeInfo
    }
  /** Heartbeat and zone announcement: the sender's zones and its neighbour list. */
  | {
      readonly type: 'update'
      readonly id: string
      readonly zones: readonly ZonePath[]
      readonly neighbours: readonly CanNodeInfo[]
    }
  /** Background reassignment and graceful leave: "take this zone" (merge: with your buddy). */
  | {
      readonly type: 'give'
      readonly tx: number
      readonly id: string
      readonly zone: ZonePath
      readonly merge: boolean
    }
  | { readonly type: 'give_reply'; readonly tx: number; readonly accepted: boolean }
  | { readonly type: 'handoff'; readonly kind: HandoffKind; readonly items: readonly CanItem[] }

export const canMessageName = (message: unknown): string =>
  typeof message === 'object' && message !== null && 'type' in message
    ? `can.${String((message as { type: unknown }).type)}`
    : 'can.message'

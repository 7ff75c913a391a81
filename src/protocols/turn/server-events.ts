import type { Address } from '../../core/address.js'

/** What the TURN server core reports, and the outputs its driver performs (see TurnServer). */

export type CloseReason = 'expired' | 'deleted' | 'bytes_quota' | 'duration'

export type TurnServerEvent =
  | {
      readonly type: 'allocated'
      readonly client: Address
      readonly relay: Address
      readonly username: string
      readonly lifetimeSeconds: number
    }
  | {
      readonly type: 'allocation_closed'
      readonly client: Address
      readonly relay: Address
      readonly reason: CloseReason
      readonly relayedBytes: number
    }
  | {
      readonly type: 'refused'
      readonly client: Address
      readonly method: number
      readonly code: number
    }
  | {
      readonly type: 'dropped'
      readonly from: Address
      readonly reason: 'no_allocation' | 'no_permission' | 'forbidden_peer' | 'rate' | 'malformed'
    }

export type TurnServerOutput =
  /** From the server's own socket. */
  | { readonly type: 'send'; readonly to: Address; readonly bytes: Uint8Array }
  /** From the relayed address `from` (a socket the driver bound on `bind_relay`). */
  | {
      readonly type: 'relay'
      readonly from: Address
      readonly to: Address
      readonly bytes: Uint8Array
    }
  | { readonly type: 'bind_relay'; readonly id: string; readonly host: string }
  | { readonly type: 'close_relay'; readonly relay: Address }
  | { readonly type: 'event'; readonly event: TurnServerEvent }

/**
 * Payloads carried inside BEP 10 `extended` messages: the extended handshake (id 0), ut_pex
 * (BEP 11), ut_metadata (BEP 9) and ut_holepunch (BEP 55). Field names are spelled out; each comment gives the key
 * on the wire.
 */
import type { Address } from '../../../core/address.js'
import type { HolepunchMessage } from './holepunch.js'

/** Every field but `extensions` is optional on the wire (BEP 10). */
export interface ExtendedHandshake {
  /** `m`: extension name -> the id the sender wants to receive it as; 0 disables it. */
  readonly extensions: ReadonlyMap<string, number>
  /** `p`: the sender's TCP listen port. */
  readonly port?: number
  /** `v`: client name and version, UTF-8. */
  readonly client?: string
  /** `yourip`: the address the sender sees the receiver as (IPv4 or IPv6). */
  readonly yourIp?: string
  /** `reqq`: how many outstanding `request`s the sender queues without dropping. */
  readonly reqq?: number
  /** `metadata_size` (BEP 9): bytes of the info dictionary, when the sender has it. */
  readonly metadataSize?: number
  /** `ipv4` / `ipv6`: the sender's own addresses, when it knows them. */
  readonly ipv4?: string
  readonly ipv6?: string
}

/** BEP 11 `added.f` bits. */
export const PEX_PREFERS_ENCRYPTION = 0x01
export const PEX_SEED = 0x02
export const PEX_SUPPORTS_UTP = 0x04
export const PEX_SUPPORTS_HOLEPUNCH = 0x08
export const PEX_REACHABLE = 0x10

export interface PexPeer extends Address {
  /** `PEX_*` bits from `added.f` / `added6.f` (0 when the sender gave none). */
  readonly flags: number
}

/**
 * ut_pex: peers connected and dropped since the previous message. IPv4 and IPv6 peers share
 * one list; on the wire they go to `added` / `added6` (and `dropped` / `dropped6`). Decoding
 * lists IPv4 peers first.
 */
export interface PexMessage {
  readonly added: readonly PexPeer[]
  readonly dropped: readonly Address[]
}

/** ut_metadata (BEP 9); `msg_type` 0, 1, 2. `piece` counts 16 KiB pieces of the info dict. */
export type MetadataMessage =
  | { readonly msgType: 'request'; readonly piece: number }
  | {
      readonly msgType: 'data'
      readonly piece: number
      /** `total_size`: the whole info dictionary, as `metadata_size` in the handshake. */
      readonly totalSize: number
      /** The piece's bytes, following the bencoded dictionary. */
      readonly data: Uint8Array
    }
  | { readonly msgType: 'reject'; readonly piece: number }
  /** BEP 9: an unrecognised `msg_type` must be ignored, so it is a value, not an error. */
  | { readonly msgType: 'unknown'; readonly id: number }

/** Names in the `m` dictionary for the extensions this folder decodes. */
export const UT_METADATA = 'ut_metadata'
export const UT_PEX = 'ut_pex'
export const UT_HOLEPUNCH = 'ut_holepunch'

export type ExtensionMessage =
  | { readonly type: 'extended_handshake'; readonly handshake: ExtendedHandshake }
  | { readonly type: 'ut_metadata'; readonly message: MetadataMessage }
  | { readonly type: 'ut_pex'; readonly message: PexMessage }
  | { readonly type: 'ut_holepunch'; readonly message: HolepunchMessage }
  /** An id we did not advertise, or an extension we do not decode. */
  | {
      readonly type: 'unknown_extension'
      readonly extendedId: number
      readonly payload: Uint8Array
    }

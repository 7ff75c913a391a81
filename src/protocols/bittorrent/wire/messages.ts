/**
 * The BitTorrent peer wire messages (BEP 3, BEP 5 `port`, BEP 6 fast extension, BEP 10
 * `extended`), named as in the specs. Byte fields of decoded messages are views into the
 * received bytes (zero-copy): keep the chunk unmodified while you use them, or `slice()` what
 * you keep. Byte fields of sent messages are referenced, not copied: do not mutate them after
 * `send`.
 */
import type { Id160 } from '../../../core/id.js'

/** The 68-byte opening of each side: 0x13 `BitTorrent protocol` reserved info_hash peer_id. */
export interface Handshake {
  readonly type: 'handshake'
  /** 8 bytes of extension bits; see `handshake.ts` for the ones we know. */
  readonly reserved: Uint8Array
  readonly infoHash: Id160
  /** 20 bytes, chosen by the peer (often a client prefix such as `-PX0001-`). */
  readonly peerId: Uint8Array
}

/** A piece index, and a byte range inside that piece (`request`, `cancel`, `reject_request`). */
interface BlockRange {
  readonly index: number
  readonly begin: number
  readonly length: number
}

export type WireMessage =
  | Handshake
  /** A zero-length frame: keeps idle connections open (peers drop them after ~2 minutes). */
  | { readonly type: 'keep_alive' }
  | { readonly type: 'choke' }
  | { readonly type: 'unchoke' }
  | { readonly type: 'interested' }
  | { readonly type: 'not_interested' }
  | { readonly type: 'have'; readonly index: number }
  /** Validate against the piece count with `validateBitfield` once it is known. */
  | { readonly type: 'bitfield'; readonly bytes: Uint8Array }
  | ({ readonly type: 'request' } & BlockRange)
  | {
      readonly type: 'piece'
      readonly index: number
      readonly begin: number
      readonly block: Uint8Array
    }
  | ({ readonly type: 'cancel' } & BlockRange)
  /** BEP 5: the peer's DHT node listens on this UDP port. */
  | { readonly type: 'port'; readonly port: number }
  // BEP 6 (fast extension).
  | { readonly type: 'suggest_piece'; readonly index: number }
  | { readonly type: 'have_all' }
  | { readonly type: 'have_none' }
  | ({ readonly type: 'reject_request' } & BlockRange)
  | { readonly type: 'allowed_fast'; readonly index: number }
  /** BEP 10: `extendedId` 0 is the extended handshake; see `extensions.ts` for the rest. */
  | { readonly type: 'extended'; readonly extendedId: number; readonly payload: Uint8Array }
  /** An id we do not know. BEP 3 says to ignore these, so they are not errors. */
  | { readonly type: 'unknown'; readonly id: number; readonly payload: Uint8Array }

export type WireMessageType = WireMessage['type']

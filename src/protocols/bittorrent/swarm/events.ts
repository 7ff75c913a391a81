/**
 * What the swarm core tells its driver, as `{ type: 'event', event }` outputs. Three kinds:
 * - storage requests (`write_block`, `read_block`, `verify_piece`): the core does no I/O and
 *   no hashing; the driver answers with `blockWritten` / `blockRead` / `pieceVerified`;
 * - outcomes (`piece_verified`, `download_completed`, `storage_error`);
 * - observations for logs and the progress display (peers, faults, bans, `stats`).
 */
import type { Address } from '../../../core/address.js'
import type { ConnectionId } from '../../../core/core.js'
import type { PeerSourceKind } from '../tracker/peer-source.js'

export type { PeerSourceKind }

/** Why a connection ended, as the core saw it. */
export type DisconnectReason =
  /** The far side closed (FIN), reset, or went silent at the transport level. */
  | 'end'
  | 'reset'
  | 'transport_timeout'
  | 'error'
  /** No BitTorrent handshake in time, or no message for `inactivityTimeout`. */
  | 'handshake_timeout'
  | 'inactive'
  /** The peer broke the protocol (`remote_fault` says how). */
  | 'remote_fault'
  | 'wrong_info_hash'
  /** We connected to ourselves. */
  | 'self'
  /** A second connection to a peer id we already talk to. */
  | 'duplicate'
  | 'banned'
  /** Over `peersMax`. */
  | 'too_many_peers'
  /** We and the peer both have everything: nothing to trade. */
  | 'both_seeds'
  | 'shutdown'

export type SwarmFaultCode =
  /** The wire could not decode the peer's bytes (see `WireErrorCode` in the detail). */
  | 'malformed'
  | 'wrong_info_hash'
  /** A message out of order (a second bitfield, BEP 6 messages without BEP 6). */
  | 'unexpected_message'
  /** A request, have or piece naming something outside the torrent. */
  | 'out_of_range'
  /** Request floods, unrequested data, ignored requests over their bound. */
  | 'limit_exceeded'

export interface SwarmStats {
  /** Payload bytes accepted from peers (blocks we kept). */
  readonly downloadedBytes: number
  /** Payload bytes sent to peers. */
  readonly uploadedBytes: number
  /** Bytes per second over the rate window. */
  readonly downloadRate: number
  readonly uploadRate: number
  readonly peers: number
  readonly halfOpen: number
  readonly candidates: number
  readonly piecesVerified: number
  readonly pieceCount: number
}

export type SwarmEvent =
  /** Store `bytes` (a view of the received frame: copy or write it before the next input). */
  | {
      readonly type: 'write_block'
      readonly piece: number
      readonly begin: number
      readonly bytes: Uint8Array
    }
  /** Read a block to upload; answer with `blockRead(now, requestKey, bytes)`. */
  | {
      readonly type: 'read_block'
      readonly requestKey: number
      readonly piece: number
      readonly begin: number
      readonly length: number
    }
  /** Every block of the piece is written: hash it and answer with `pieceVerified`. */
  | { readonly type: 'verify_piece'; readonly piece: number }
  /**
   * BEP 52: read the piece back and answer `pieceBlockHashes` with the SHA-256 of each 16 KiB
   * block of the file's bytes in it (the padding after a file excluded). Asked for a failed
   * piece (to find its bad blocks) and for a piece a peer wants block hashes of.
   */
  | { readonly type: 'hash_blocks'; readonly piece: number }
  | {
      readonly type: 'peer_connected'
      readonly peer: ConnectionId
      readonly address: Address
      readonly client?: string
    }
  | {
      readonly type: 'peer_disconnected'
      readonly peer: ConnectionId
      readonly address: Address
      readonly reason: DisconnectReason
    }
  | { readonly type: 'peer_banned'; readonly address: Address; readonly reason: string }
  | { readonly type: 'piece_verified'; readonly piece: number }
  /**
   * A piece failed its hash. `badBlocks`: BEP 52 block hashes found that many bad blocks, the
   * only ones downloaded again (`blamed` sent them); absent when the piece is downloaded again
   * whole (every contributor blamed).
   */
  | {
      readonly type: 'piece_failed'
      readonly piece: number
      readonly blamed: readonly Address[]
      readonly badBlocks?: number
    }
  | { readonly type: 'download_completed' }
  /**
   * Every piece layer a v2 magnet lacked was fetched and proven (BEP 52): they are all in the
   * `pieceLayerStore` map now, for the driver to keep (a restart then need not fetch them).
   */
  | { readonly type: 'piece_layers_fetched'; readonly files: number }
  /** A peer named its DHT node's port (BEP 5 `port`): the driver may ping that node. */
  | { readonly type: 'dht_node'; readonly address: Address }
  /** Storage failed a write: the torrent stops downloading (uploads go on). */
  | { readonly type: 'storage_error'; readonly message: string }
  | {
      readonly type: 'remote_fault'
      readonly address: Address
      readonly code: SwarmFaultCode
      readonly detail: string
    }
  | ({ readonly type: 'stats' } & SwarmStats)
  /**
   * BEP 55 hole punching (`holepunch.ts`). `rendezvous`: we asked `via` to introduce us to
   * `address`; `relayed`: `via` asked us for `address` and both got a connect; `refused`: we
   * answered `via`'s rendezvous for `address` with error `code`; `connect`: `via` told us to
   * dial `address` and we did (`dialled` false when a limit or an existing connection kept us
   * from it); `error`: `via` answered our rendezvous for `address` with `code`.
   */
  | {
      readonly type: 'holepunch'
      readonly action: 'rendezvous' | 'relayed' | 'refused' | 'connect' | 'error'
      readonly address: Address
      readonly via: Address
      readonly code?: number
      readonly dialled?: boolean
    }

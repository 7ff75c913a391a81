/** What the metadata fetcher tells its driver. Discriminants are past-tense snake_case. */
import type { Address } from '../../../core/address.js'

export type MetadataFailure =
  /** No candidate left to dial and no connection open; more peers may still be added. */
  'peers_exhausted'

export type MetadataEvent =
  /** The info dictionary, verified against the info-hash. A copy: the driver owns it. */
  | { readonly type: 'metadata_received'; readonly infoBytes: Uint8Array }
  /** Addresses that spoke BitTorrent for this info-hash, for the swarm to dial next. */
  | { readonly type: 'peers_known'; readonly addresses: readonly Address[] }
  /** The assembled bytes did not hash to the info-hash; `blamed` are dropped and banned. */
  | { readonly type: 'metadata_hash_failed'; readonly blamed: readonly Address[] }
  | { readonly type: 'metadata_failed'; readonly reason: MetadataFailure }

/** A snapshot for tests and status displays; it never exposes mutable state. */
export interface MetadataView {
  readonly candidates: number
  readonly connections: number
  /** Connections whose peer offered ut_metadata with an agreed `metadata_size`. */
  readonly ready: number
  readonly metadataSize: number | undefined
  readonly piecesReceived: number
  readonly pieceCount: number
  readonly done: boolean
}

/**
 * Serving the info dictionary (BEP 9, ut_metadata) to peers that came from a magnet link. We
 * always have the metadata (this core is built from it), so we only ever answer:
 * - we announce `ut_metadata` as `UT_METADATA_LOCAL_ID` (2, as libtorrent) and
 *   `metadata_size` = `metainfo.infoBytes.length` in our extended handshake (`connections.ts`);
 * - a `request` for piece i gets a `data` message: `total_size` and bytes
 *   `[16 KiB * i, 16 KiB * (i + 1))` of `infoBytes` (the last piece is shorter), sent with the
 *   id the peer announced; a piece past the end gets `reject`;
 * - a peer that did not announce ut_metadata cannot be answered (BEP 10 forbids sending an
 *   extension the peer did not enable): its requests are ignored and counted;
 * - incoming `data`, `reject` and unknown `msg_type`s are ignored and counted (we have the
 *   metadata already, and BEP 9 says to ignore unknown types).
 *
 * Bounds against a hostile peer: each connection is served at most
 * `max(metadataRequestsPerPeerMax, 2 * metadata pieces)` data messages: 64 (1 MiB) by
 * default, so a dictionary of up to 512 KiB (any usual torrent) can be fetched twice with
 * retries to spare, and a bigger one twice over; beyond that every request gets `reject`. While the driver reports the connection
 * write-blocked, requests are rejected too and not counted, so a peer that does not read
 * cannot make us buffer more than one burst. A reject costs us no more bytes than the request
 * cost the peer. Piece indices above the largest dictionary we accept (1024 pieces) do not
 * decode and close the connection as malformed (the wire codec's rule).
 *
 * Private torrents (BEP 27) serve metadata too: BEP 27 forbids only peer sources other than
 * the tracker (DHT, PEX, LSD), and a peer asking already passed the handshake for this
 * info-hash. libtorrent differs: it does not load its ut_metadata plugin for a private torrent
 * whose metadata it has. Data served here is not counted as uploaded payload.
 */
import type { Metainfo } from '../metainfo/index.js'
import {
  encodeExtension,
  METADATA_BYTES_MAX,
  METADATA_PIECE_BYTES,
  metadataPieceBytes,
  metadataPieceCount,
  UT_METADATA,
  type MetadataMessage,
} from '../wire/index.js'
import type { SwarmContext } from './context.js'
import type { Peer } from './peer.js'

/** The extended-message id we receive ut_metadata as (libtorrent uses 2 too; ut_pex is 1). */
export const UT_METADATA_LOCAL_ID = 2

/** Whether we can serve this info dictionary: one a BEP 9 fetcher could accept. */
export function servesMetadata(metainfo: Metainfo): boolean {
  const size = metainfo.infoBytes.length
  return size > 0 && size <= METADATA_BYTES_MAX
}

export class MetadataServer {
  /** Data messages served per connection: see the file comment. */
  readonly servedMax: number
  private readonly enabled: boolean
  private readonly pieceCount: number

  constructor(private readonly ctx: SwarmContext) {
    this.enabled = servesMetadata(ctx.metainfo)
    this.pieceCount = this.enabled ? metadataPieceCount(ctx.metainfo.infoBytes.length) : 0
    this.servedMax = Math.max(ctx.config.metadataRequestsPerPeerMax, 2 * this.pieceCount)
  }

  /** An incoming ut_metadata message; returns false when it was ignored (for the counts). */
  onMessage(peer: Peer, message: MetadataMessage): boolean {
    if (message.msgType !== 'request' || !this.enabled) return false
    if (!peer.remoteExtensions.get(UT_METADATA)) return false
    const { piece } = message
    const refuse =
      piece >= this.pieceCount || peer.metadataServed >= this.servedMax || peer.writeBlocked
    if (refuse) {
      this.send(peer, { msgType: 'reject', piece })
      return true
    }
    peer.metadataServed++
    const { infoBytes } = this.ctx.metainfo
    const begin = piece * METADATA_PIECE_BYTES
    const data = infoBytes.subarray(begin, begin + metadataPieceBytes(infoBytes.length, piece))
    this.send(peer, { msgType: 'data', piece, totalSize: infoBytes.length, data })
    return true
  }

  private send(peer: Peer, message: MetadataMessage): void {
    const encoded = encodeExtension({ type: 'ut_metadata', message }, peer.remoteExtensions)
    if (encoded !== undefined) this.ctx.send(peer, encoded)
  }
}

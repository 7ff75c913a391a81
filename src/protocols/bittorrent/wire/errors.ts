/**
 * Remote faults of the peer wire, as values (B8). Every decoder in this folder returns one of
 * these instead of throwing; the swarm core decides whether the connection survives (for the
 * framing and handshake codes it cannot: the byte stream is no longer trustworthy).
 */
export type WireErrorCode =
  /** A length prefix above the connection's `frameBytesMax`; nothing was buffered. */
  | 'frame_too_large'
  /** A second BitTorrent handshake on a connection that already had one. */
  | 'unexpected_handshake'
  /** The handshake's pstrlen or pstr is not 19, `BitTorrent protocol`. */
  | 'bad_pstr'
  /** A handshake that is not exactly 68 bytes. */
  | 'bad_handshake_length'
  /** A payload whose length is wrong for its message id (e.g. `have` not 5 bytes). */
  | 'bad_length'
  /** A bitfield of the wrong length for the piece count, or with spare bits set. */
  | 'bad_bitfield'
  /** A BEP 10 payload that is not valid bencode. */
  | 'bad_bencode'
  /** A bencoded extension payload of the wrong shape (not a dictionary, missing keys). */
  | 'bad_extended_message'
  /** Compact peers (BEP 23) whose length is not a multiple of 6 (IPv4) or 18 (IPv6). */
  | 'bad_compact_length'
  /** ut_pex flags (`added.f`) that do not match the number of added peers. */
  | 'bad_pex_flags'
  /** ut_metadata `total_size` or data length inconsistent with the piece, or over the limit. */
  | 'metadata_size_mismatch'
  /** A BEP 55 ut_holepunch payload of the wrong length, message, address type or error code. */
  | 'bad_holepunch_message'

export interface WireError {
  readonly code: WireErrorCode
  readonly detail: string
}

export const wireError = (code: WireErrorCode, detail: string): WireError => ({ code, detail })

/**
 * Every size the peer wire codec checks, in one place, with the reason for each. Frames come
 * from untrusted peers, so each bound is what keeps one hostile connection from making us buffer
 * more than a frame's worth of memory (bittorrent-protocol's `BITFIELD_GROW` reasoning).
 */
import { BENCODE_DEFAULTS } from '../../../core/codec/bencode.js'

/** `BitTorrent protocol`, the BEP 3 protocol string. */
export const PROTOCOL_STRING = 'BitTorrent protocol'
/** pstrlen (1) + pstr (19) + reserved (8) + info_hash (20) + peer_id (20). */
export const HANDSHAKE_BYTES = 68
export const RESERVED_BYTES = 8
export const PEER_ID_BYTES = 20

/** The 4-byte big-endian length in front of every message after the handshake. */
export const LENGTH_PREFIX_BYTES = 4
/** id (1) + index (4) + begin (4): what precedes the block inside a `piece` frame. */
export const PIECE_FRAME_HEAD_BYTES = 9
/** The length prefix plus the piece head: `encodePieceHeader` writes exactly this. */
export const PIECE_HEADER_BYTES = LENGTH_PREFIX_BYTES + PIECE_FRAME_HEAD_BYTES

/**
 * The block size every client uses (BEP 3: "typically 2^14"); peers may refuse larger
 * requests, so we never ask for more and by default accept no larger `piece` frames.
 */
export const BLOCK_BYTES = 16 * 1024

/** BEP 9 splits the info dictionary into pieces of this size (all but the last one). */
export const METADATA_PIECE_BYTES = 16 * 1024
/**
 * Largest info dictionary we fetch with ut_metadata: the bencode decoder refuses larger input
 * anyway, so a bigger `total_size` could never be used.
 */
export const METADATA_BYTES_MAX = BENCODE_DEFAULTS.bytesMax
/** SHA-1 piece hashes in the info dictionary's `pieces` string. */
export const PIECE_HASH_BYTES = 20
/**
 * Most pieces a torrent we can load may have: each costs 20 bytes of `pieces` in an info
 * dictionary of at most `METADATA_BYTES_MAX` (838,860 pieces). It bounds the bitfield of a peer
 * we meet before we know the piece count (a magnet link).
 */
export const PIECE_COUNT_MAX = Math.floor(METADATA_BYTES_MAX / PIECE_HASH_BYTES)

/**
 * Largest BEP 10 payload (after the extended id) we buffer. The biggest legitimate one is a
 * ut_metadata `data` message: 16 KiB plus a dictionary of about 50 bytes. Handshakes and PEX
 * messages are a few KiB at most. 64 KiB leaves 4x slack for clients that pad or add fields,
 * while keeping a hostile peer's cost per connection small.
 */
export const EXTENDED_PAYLOAD_BYTES_MAX = 64 * 1024
/** Extended message ids are one byte. */
export const EXTENDED_ID_MAX = 255

/**
 * Hard ceiling on any configured frame bound (a programmer error above it). It is also far
 * below 0x13426974 (`\x13Bit`), so a repeated handshake always reads as an oversize frame.
 */
export const FRAME_BYTES_CEILING = 16 * 1024 * 1024

/**
 * Consecutive small messages are written into one scratch buffer of this size, so a burst of
 * `request`s costs one allocation and one socket write instead of one each.
 */
export const OUTBOX_SCRATCH_BYTES = 16 * 1024
/** Byte fields up to this size are copied into the scratch; larger ones are sent by reference. */
export const OUTBOX_COPY_BYTES_MAX = 512

export interface FrameLimits {
  /** Pieces in the torrent; undefined before the metadata is known (magnet links). */
  readonly pieceCount?: number | undefined
  /** Largest `piece` block accepted. Default `BLOCK_BYTES`. */
  readonly blockBytesMax?: number
  /** Largest BEP 10 payload accepted. Default `EXTENDED_PAYLOAD_BYTES_MAX`. */
  readonly extendedPayloadBytesMax?: number
}

/**
 * The frame bound for a connection: the largest of a full bitfield, a `piece` frame with the
 * biggest block, and an extended message. For a typical torrent that is 64 KiB + 2; before the
 * piece count is known it is ~102 KiB (a bitfield of `PIECE_COUNT_MAX` pieces).
 */
export function frameBytesMaxFor(limits: FrameLimits = {}): number {
  const pieces = limits.pieceCount ?? PIECE_COUNT_MAX
  const bitfield = 1 + Math.ceil(pieces / 8)
  const piece = PIECE_FRAME_HEAD_BYTES + (limits.blockBytesMax ?? BLOCK_BYTES)
  const extended = 2 + (limits.extendedPayloadBytesMax ?? EXTENDED_PAYLOAD_BYTES_MAX)
  return Math.max(bitfield, piece, extended)
}

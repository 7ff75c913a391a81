/**
 * Bounds on what a metainfo may ask of us. Every one is named and overridable; the defaults
 * accept every torrent libtorrent 2.0 and Transmission accept that we know of, and refuse what
 * could only be an attack or a mistake.
 */
export interface MetainfoLimits {
  /** Size of a whole .torrent (or info dictionary) in bytes. */
  readonly torrentBytesMax: number
  /** Bencode values in the input, containers included (libtorrent's `max_decode_tokens`). */
  readonly itemsMax: number
  /**
   * `piece length` bounds. BEP 3 v1 does not require a power of two, and libtorrent and
   * Transmission accept any positive length in v1 torrents, so the minimum is 1 byte: a tiny
   * piece length costs us nothing more than many pieces, and the piece count has its own bound.
   */
  readonly pieceLengthMin: number
  /**
   * A piece is verified as a whole, so its length bounds the memory one piece in flight can
   * pin. libtorrent stops at 1 GiB (INT_MAX / 2); creators offer at most 64-256 MiB.
   */
  readonly pieceLengthMax: number
  /** libtorrent's `max_pieces` default (0x200000). */
  readonly pieceCountMax: number
  /** Total payload (and any one file). 2^50 bytes = 1 PiB, far below 2^53 so sums stay exact. */
  readonly totalBytesMax: number
  readonly fileCountMax: number
  /** Components under the torrent's root directory in one file path. */
  readonly pathDepthMax: number
  /** One component, in UTF-8 bytes: NAME_MAX on ext4, btrfs, xfs and APFS. */
  readonly componentBytesMax: number
  /** A whole path including the torrent name and separators: Linux PATH_MAX. */
  readonly pathBytesMax: number
  /** Tracker URLs kept from `announce-list` (extras are dropped, not an error). */
  readonly trackersMax: number
  /** Web seeds kept from `url-list` (extras are dropped). */
  readonly webSeedsMax: number
  /** Longest tracker or web seed URL kept, in UTF-8 bytes; longer ones are dropped. */
  readonly urlBytesMax: number
}

export const DEFAULT_METAINFO_LIMITS: MetainfoLimits = {
  // The bencode decoder's own default: a 16 MiB torrent is already enormous.
  torrentBytesMax: 16 * 1024 * 1024,
  itemsMax: 3_000_000,
  pieceLengthMin: 1,
  pieceLengthMax: 512 * 1024 * 1024,
  pieceCountMax: 0x200000,
  totalBytesMax: 2 ** 50,
  // Each file entry costs at least six bencode items, so `itemsMax` bites first (about 500k
  // files); this bound matters when a caller raises `itemsMax`.
  fileCountMax: 1_000_000,
  // libtorrent's v2 file-tree parser stops at 100 levels; 64 is deeper than any real layout.
  pathDepthMax: 64,
  componentBytesMax: 255,
  pathBytesMax: 4096,
  trackersMax: 512,
  webSeedsMax: 64,
  urlBytesMax: 4096,
}

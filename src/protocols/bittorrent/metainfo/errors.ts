/**
 * Why a .torrent or an info dictionary was refused. A metainfo file is remote input (a web
 * download, a peer's ut_metadata pieces), so every failure is a value with a machine `code` and
 * a sentence for people; nothing in the parser throws.
 */
export type MetainfoErrorCode =
  /** The bytes are not one canonical bencoded value (or are beyond the size limits). */
  | 'not_bencode'
  /** The top level, or the `info` value, is not a dictionary. */
  | 'not_a_dict'
  /** A required key (`info`, `name`, `piece length`, `pieces`, `length`/`files`, `path`). */
  | 'missing_key'
  /** A key holds the wrong kind of value (a string where an integer belongs, ...). */
  | 'wrong_type'
  /** BEP 52 `file tree`: a node that is both a file and a directory. */
  | 'bad_file_tree'
  /** A hybrid whose v1 `files` and v2 `file tree` describe different content or alignment. */
  | 'hybrid_mismatch'
  /** A BEP 52 piece layer of the wrong size, or one that does not hash to its pieces root. */
  | 'bad_piece_layers'
  /** A `meta version` we do not know (above 2). */
  | 'unsupported_version'
  /** `piece length` outside `pieceLengthMin..pieceLengthMax` (v2: not a power of 2 >= 16 KiB). */
  | 'bad_piece_length'
  /** `pieces` is not a whole number of 20-byte SHA-1 hashes, or a bad v2 `pieces root`. */
  | 'bad_pieces'
  | 'too_many_pieces'
  /** `pieces` holds a different number of hashes than ceil(total length / piece length). */
  | 'piece_count_mismatch'
  /** A negative file length. */
  | 'bad_length'
  /** A file or the whole torrent beyond `totalBytesMax`. */
  | 'too_large'
  /** Total length 0: there is nothing to transfer (libtorrent refuses these too). */
  | 'empty_torrent'
  /** Both `length` (single-file) and `files` (multi-file): the layout is ambiguous. */
  | 'length_and_files'
  /** A multi-file torrent whose `files` list is empty. */
  | 'no_files'
  | 'too_many_files'
  /** Path checks, for `name` and every `path` component. */
  | 'path_empty'
  /** `.` or `..`. */
  | 'path_traversal'
  /** A component starting with `/` or `\`. */
  | 'path_absolute'
  /** `/` or `\` inside a component (a component is one name, never a sub-path). */
  | 'path_separator'
  | 'path_nul'
  /** A component over `componentBytesMax`, or a whole path over `pathBytesMax`. */
  | 'path_too_long'
  | 'path_too_deep'
  /** Two files with the same path: they would overwrite each other on disk. */
  | 'path_duplicate'
  /** A path that is both a file and a directory (`a` and `a/b`). */
  | 'path_conflict'

export interface MetainfoError {
  readonly code: MetainfoErrorCode
  readonly message: string
}

export const metainfoError = (code: MetainfoErrorCode, message: string): MetainfoError => ({
  code,
  message,
})

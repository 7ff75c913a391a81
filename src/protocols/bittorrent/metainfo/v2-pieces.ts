/**
 * Which v2 hash checks piece `index` of a v2 or hybrid torrent. v2 files are piece aligned,
 * so a piece holds bytes of one file only (followed, in its last piece, by padding). The
 * piece is checked by `pieceHashV2` over the file's bytes in it: against the file's piece
 * layer when the file is longer than one piece, against its pieces root otherwise.
 */
import { toHex } from '../../../core/bytes.js'
import { assert } from '../../../core/errors.js'
import { MERKLE_HASH_BYTES } from '../merkle/index.js'
import { filesInRange, pieceOffset, type Metainfo } from './types.js'

export interface V2Piece {
  readonly fileIndex: number
  /** The piece's index inside its file. */
  readonly pieceInFile: number
  /** Bytes of the file in the piece (the rest of the piece, if any, is padding). */
  readonly dataLength: number
  readonly fileLength: number
  /** The hash the piece must have; undefined while the file's piece layer is unknown. */
  readonly expected: Uint8Array | undefined
}

/**
 * The v2 view of piece `index`, or undefined for a piece holding only padding (none exist in
 * a well-formed torrent, but a hybrid may declare them). `layers` defaults to the .torrent's.
 */
export function v2PieceOf(
  m: Metainfo,
  index: number,
  layers: ReadonlyMap<string, Uint8Array> = m.pieceLayers,
): V2Piece | undefined {
  assert(m.version !== 'v1', 'a v1 torrent has no v2 hashes')
  const start = pieceOffset(m, index)
  const segment = filesInRange(m, start, 1)[0]
  assert(segment !== undefined, `piece ${index} holds no bytes`)
  const file = m.files[segment.fileIndex]
  if (file === undefined || file.pad || file.piecesRoot === undefined) return undefined
  const pieceInFile = Math.floor(segment.fileOffset / m.pieceLength)
  const dataLength = Math.min(m.pieceLength, file.length - pieceInFile * m.pieceLength)
  let expected: Uint8Array | undefined = file.piecesRoot
  if (file.length > m.pieceLength) {
    const layer = layers.get(toHex(file.piecesRoot))
    const at = pieceInFile * MERKLE_HASH_BYTES
    expected = layer?.subarray(at, at + MERKLE_HASH_BYTES)
  }
  return {
    fileIndex: segment.fileIndex,
    pieceInFile,
    dataLength,
    fileLength: file.length,
    expected,
  }
}

import { pieceLengthAt, type Metainfo } from '../../protocols/bittorrent/metainfo/index.js'
import type { Bitfield } from '../../protocols/bittorrent/picker/index.js'

/**
 * BEP 3 `left` for an announce: bytes of the pieces we still mean to download. Pieces whose
 * priority is 0 (every file they touch skipped) are not counted, as libtorrent does, so a
 * download of some files reports 0 once they are done. O(pieces).
 */
export function announceLeft(
  m: Metainfo,
  verified: Bitfield,
  piecePriority: (piece: number) => number,
): number {
  let left = 0
  for (let piece = 0; piece < m.pieceCount; piece++) {
    if (!verified.get(piece) && piecePriority(piece) > 0) left += pieceLengthAt(m, piece)
  }
  return left
}

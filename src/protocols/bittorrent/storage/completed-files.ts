/**
 * Which files are complete, computed from the verified pieces only: a file is never presented
 * as complete (to the user, or to a "move when done" step) while any piece overlapping it is
 * unverified, even if every block of it was written. Pad files are never listed; empty files
 * need no piece and are always complete (`createEmptyFiles` puts them on disk).
 */
import type { Metainfo } from '../metainfo/index.js'
import type { Bitfield } from '../picker/bitfield.js'

/** Whether every piece overlapping file `fileIndex` is in `verified`. */
export function isFileComplete(m: Metainfo, verified: Bitfield, fileIndex: number): boolean {
  const file = m.files[fileIndex]
  if (file === undefined || file.pad) return false
  if (file.length === 0) return true
  const last = Math.floor((file.offset + file.length - 1) / m.pieceLength)
  for (let piece = Math.floor(file.offset / m.pieceLength); piece <= last; piece++) {
    if (!verified.get(piece)) return false
  }
  return true
}

/** Indices of the complete files, ascending. O(pieces + files). */
export function completedFiles(m: Metainfo, verified: Bitfield): number[] {
  const complete: number[] = []
  for (let index = 0; index < m.files.length; index++) {
    if (isFileComplete(m, verified, index)) complete.push(index)
  }
  return complete
}

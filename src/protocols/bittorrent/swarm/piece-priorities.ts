import { assert } from '../../../core/errors.js'
import type { Metainfo } from '../metainfo/index.js'

/** The highest file priority (libtorrent's top_priority); 0 means "do not download". */
export const PRIORITY_MAX = 7

/**
 * Per-file priorities (one per file of the metainfo, 0..PRIORITY_MAX) as per-piece priorities:
 * a piece takes the highest priority of the files it touches, and a piece of padding alone
 * follows the torrent's highest, so it never holds a wanted file back. Asserts the caller's
 * input (the session validates what users give).
 */
export function piecePriorities(
  metainfo: Metainfo,
  pieceCount: number,
  priorities: readonly number[],
): Int8Array {
  const { files, pieceLength } = metainfo
  assert(
    priorities.length === files.length,
    `${priorities.length} file priorities for ${files.length} files`,
  )
  for (const priority of priorities) {
    assert(
      Number.isInteger(priority) && priority >= 0 && priority <= PRIORITY_MAX,
      `bad file priority ${priority}`,
    )
  }
  const pieces = new Int8Array(pieceCount).fill(-1)
  let highest = 0
  files.forEach((file, index) => {
    const priority = priorities[index] as number
    if (file.pad || file.length === 0) return
    highest = Math.max(highest, priority)
    const first = Math.floor(file.offset / pieceLength)
    const last = Math.floor((file.offset + file.length - 1) / pieceLength)
    for (let piece = first; piece <= last; piece++) {
      pieces[piece] = Math.max(pieces[piece] as number, priority)
    }
  })
  for (let piece = 0; piece < pieceCount; piece++) if (pieces[piece] === -1) pieces[piece] = highest
  return pieces
}

/**
 * A parsed torrent (BEP 3 v1, BEP 52 v2 or hybrid) and the arithmetic every other BitTorrent module needs on it:
 * which hash checks piece `i`, how long piece `i` is, and which file bytes a range of the
 * torrent covers. The torrent's payload is the concatenation of its files in order; a piece
 * is a fixed-length slice of that concatenation that ignores file boundaries.
 *
 * v2 torrents (BEP 52) align every file to a piece boundary. A v2-only torrent is given the
 * same shape as the hybrid libtorrent would make of it: a padding file after every file that
 * does not end on a piece boundary, so the piece arithmetic below holds for all three kinds.
 */
import { assert } from '../../../core/errors.js'
import type { Id160 } from '../../../core/id.js'

/** SHA-1 digests in `pieces` are this long. */
export const PIECE_HASH_BYTES = 20

export interface MetainfoFile {
  /**
   * Where the file goes under the download directory, as components: `[name]` for a
   * single-file torrent, `[name, ...path]` for a multi-file one (libtorrent's convention), so
   * every file is `join(saveDir, ...path)`. Every component passed the traversal checks.
   */
  readonly path: readonly string[]
  readonly length: number
  /** Byte offset of the file's first byte in the torrent's concatenated payload. */
  readonly offset: number
  /** BEP 47 padding file (`attr` has `p`): zeros that storage need not write. */
  readonly pad: boolean
  /** BEP 47 `attr` has `x`. */
  readonly executable: boolean
  /** BEP 52 `pieces root` (32 bytes): v2 and hybrid torrents, non-empty non-pad files only. */
  readonly piecesRoot?: Uint8Array
}

/** Which BEP 52 generation an info dictionary belongs to. */
export type MetaVersion = 'v1' | 'v2' | 'hybrid'

export interface Metainfo {
  /**
   * The 20-byte info-hash the swarm uses (handshakes, trackers, DHT): the SHA-1 of `infoBytes`
   * (v1 and hybrid), or for a v2-only torrent the SHA-256 truncated to 20 bytes (BEP 52).
   */
  readonly infoHash: Id160
  /** `infoHash` in lowercase hex. */
  readonly infoHashHex: string
  /** The torrent's name: the file name (single-file) or the root directory (multi-file). */
  readonly name: string
  readonly pieceLength: number
  readonly pieceCount: number
  /** `pieceCount` SHA-1 digests back to back (a view into `infoBytes`). */
  readonly pieces: Uint8Array
  readonly files: readonly MetainfoFile[]
  readonly totalLength: number
  readonly isSingleFile: boolean
  /** BEP 27: do not use DHT, PEX or LSD; talk to the torrent's trackers only. */
  readonly private: boolean
  /** `version === 'hybrid'` (v1 and v2 in one info dictionary). */
  readonly hybrid: boolean
  readonly version: MetaVersion
  /** BEP 52: SHA-256 of `infoBytes` (32 bytes), for v2 and hybrid torrents. */
  readonly infoHashV2?: Uint8Array
  /** `infoHashV2` in lowercase hex. */
  readonly infoHashV2Hex?: string
  /**
   * BEP 52 `piece layers` from the .torrent (outside the info dictionary), keyed by the hex
   * of the file's pieces root, each checked against that root. Empty for v1 torrents and for
   * metadata fetched from peers (BEP 52 hash requests fill that gap).
   */
  readonly pieceLayers: ReadonlyMap<string, Uint8Array>
  readonly announce?: string
  /** BEP 12 tiers; `[[announce]]` without `announce-list`; empty when there is no tracker. */
  readonly announceList: readonly (readonly string[])[]
  /** BEP 19 web seeds. */
  readonly urlList: readonly string[]
  readonly comment?: string
  readonly createdBy?: string
  /** Seconds since the Unix epoch, as written by the creator. */
  readonly creationDate?: number
  /** The info dictionary exactly as received: what ut_metadata (BEP 9) serves to peers. */
  readonly infoBytes: Uint8Array
}

/**
 * The 20-byte hashes the torrent's swarm is found under: `infoHash`, and for a hybrid also
 * the SHA-256 truncated to 20 bytes (BEP 52: v2 peers, trackers and the DHT use that one), so
 * a hybrid is announced, and accepts handshakes, under both.
 */
export function swarmHashes(m: Metainfo): Id160[] {
  const { infoHash, infoHashV2 } = m
  if (!m.hybrid || infoHashV2 === undefined) return [infoHash]
  return [infoHash, infoHashV2.slice(0, 20) as Id160]
}

/** A run of bytes inside one file: the answer to "where do these torrent bytes live?". */
export interface FileSegment {
  readonly fileIndex: number
  /** Offset inside the file. */
  readonly fileOffset: number
  readonly length: number
}

/**
 * The 20-byte SHA-1 that piece `index` must hash to (a view, do not modify). v1 and hybrid
 * torrents only: a v2-only torrent has no SHA-1 hashes (see `v2PieceOf`).
 */
export function pieceHash(m: Metainfo, index: number): Uint8Array {
  checkPieceIndex(m, index)
  assert(m.version !== 'v2', 'a v2-only torrent has no v1 piece hashes')
  const start = index * PIECE_HASH_BYTES
  return m.pieces.subarray(start, start + PIECE_HASH_BYTES)
}

/** Length of piece `index`: `pieceLength`, except the last piece, which may be shorter. */
export function pieceLengthAt(m: Metainfo, index: number): number {
  checkPieceIndex(m, index)
  if (index < m.pieceCount - 1) return m.pieceLength
  return m.totalLength - m.pieceLength * (m.pieceCount - 1)
}

/** Offset of piece `index` in the torrent's payload. */
export function pieceOffset(m: Metainfo, index: number): number {
  checkPieceIndex(m, index)
  return index * m.pieceLength
}

/**
 * The file segments that hold torrent bytes `[offset, offset + length)`, in order, contiguous,
 * with positive lengths summing to `length`: storage uses them for positional reads and writes
 * across file boundaries. Empty files hold no bytes and never appear; padding files do (check
 * `files[fileIndex].pad`). The range must lie inside the payload: callers derive it from piece
 * and block indices they have already checked, so a bad range is a programmer error.
 */
export function filesInRange(m: Metainfo, offset: number, length: number): FileSegment[] {
  assert(
    Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0,
    `bad range ${offset}+${length}`,
  )
  assert(offset + length <= m.totalLength, `range ${offset}+${length} beyond ${m.totalLength}`)
  const segments: FileSegment[] = []
  const end = offset + length
  let at = offset
  for (let index = firstFileEndingAfter(m.files, offset); at < end; index++) {
    const file = m.files[index]
    assert(file !== undefined, `no file holds byte ${at}`)
    const fileEnd = file.offset + file.length
    if (fileEnd <= at) continue
    const take = Math.min(end, fileEnd) - at
    segments.push({ fileIndex: index, fileOffset: at - file.offset, length: take })
    at += take
  }
  return segments
}

/** Index of the first file whose end is beyond `offset` (binary search; files are sorted). */
function firstFileEndingAfter(files: readonly MetainfoFile[], offset: number): number {
  let low = 0
  let high = files.length
  while (low < high) {
    const middle = (low + high) >>> 1
    const file = files[middle] as MetainfoFile
    if (file.offset + file.length <= offset) low = middle + 1
    else high = middle
  }
  return low
}

function checkPieceIndex(m: Metainfo, index: number): void {
  assert(
    Number.isInteger(index) && index >= 0 && index < m.pieceCount,
    `piece ${index} outside 0..${m.pieceCount - 1}`,
  )
}

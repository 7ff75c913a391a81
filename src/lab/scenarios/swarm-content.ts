import { assert } from '../../core/errors.js'
import { NodeHashing } from '../../drivers/node/hashing.js'
import {
  buildInfoDict,
  buildTorrent,
  parseInfoDict,
  pieceHash,
  PieceHasher,
  type Metainfo,
} from '../../protocols/bittorrent/metainfo/index.js'
import type { Hashing } from '../../core/env.js'
import { SyntheticHashing } from '../../sim/disk/synthetic-hashing.js'
import { fillSynthetic } from '../../sim/disk/synthetic.js'

/**
 * The swarm's file: the simulated disk's synthetic pattern for `CONTENT_SEED`, so a seed's
 * disk holds it without storing it and a leecher's disk recognises every correct block
 * (`SimDisk.expectSyntheticFile`). Each 32-bit word is a hash of its index, so no two blocks
 * are alike and a block delivered at the wrong place fails its piece's hash.
 */
export interface SyntheticTorrent {
  readonly metainfo: Metainfo
  /** The request size the swarm uses. */
  readonly blockBytes: number
}

/** The seed of the synthetic pattern every swarm file uses. */
export const CONTENT_SEED = 0x5eed

/** The piece hashes, generated a piece at a time (the whole file is never held). */
function pieceHashes(totalLength: number, pieceLength: number): Uint8Array {
  const hasher = new PieceHasher(pieceLength, new NodeHashing())
  const piece = new Uint8Array(pieceLength)
  for (let at = 0; at < totalLength; at += pieceLength) {
    const bytes = piece.subarray(0, Math.min(pieceLength, totalLength - at))
    fillSynthetic(CONTENT_SEED, at, bytes)
    hasher.update(bytes)
  }
  return hasher.finish()
}

let cached: SyntheticTorrent | undefined

/** The torrent for a size; the last one is kept, so a policy matrix builds it once. */
export function syntheticTorrent(
  totalLength: number,
  pieceLength: number,
  blockBytes: number,
): SyntheticTorrent {
  const last = cached
  if (
    last?.metainfo.totalLength === totalLength &&
    last.metainfo.pieceLength === pieceLength &&
    last.blockBytes === blockBytes
  ) {
    return last
  }
  const info = buildInfoDict({
    name: 'synthetic.bin',
    files: [{ path: [], length: totalLength }],
    pieceLength,
    pieces: pieceHashes(totalLength, pieceLength),
  })
  const parsed = parseInfoDict(info, new NodeHashing())
  assert(parsed.ok, 'the synthetic torrent must parse')
  cached = { metainfo: parsed.value, blockBytes }
  return cached
}

/** The torrent file for `torrent`, announcing to `announce`. */
export function torrentFile(torrent: SyntheticTorrent, announce: string): Uint8Array {
  return buildTorrent({ info: torrent.metainfo.infoBytes, announce })
}

/**
 * The hosts' hashing: a piece that equals the file's content is answered with the digest the
 * torrent was built with, after a byte comparison (`SyntheticHashing`), anything else is
 * hashed by `inner`. Every leecher still reads each piece back and checks every byte of it.
 */
export function swarmHashing(torrent: SyntheticTorrent, inner: Hashing): Hashing {
  const { metainfo } = torrent
  const known = Array.from({ length: metainfo.pieceCount }, (_, index) => {
    const offset = index * metainfo.pieceLength
    const length = Math.min(metainfo.pieceLength, metainfo.totalLength - offset)
    return { offset, length, sha1: pieceHash(metainfo, index) }
  })
  return new SyntheticHashing(inner, CONTENT_SEED, known)
}

/**
 * The digests `WorkerPieceHashing` computes, the same on a worker and on the calling thread:
 * SHA-1 of a piece (BEP 3), or the merkle root of a v2 piece's file bytes (BEP 52).
 */
import {
  MERKLE_BLOCK_BYTES,
  pieceHashV2,
  pieceHashV2OfLeaves,
} from '../../protocols/bittorrent/merkle/index.js'
import type { V2PieceShape } from '../../protocols/bittorrent/storage/index.js'
import { NodeHashing } from '../node/hashing.js'

const hashing = new NodeHashing()

/** SHA-1 of `parts` concatenated, or with `v2` the piece's merkle root. */
export function pieceDigest(parts: readonly Uint8Array[], v2?: V2PieceShape): Uint8Array {
  if (v2 === undefined) return hashing.sha1(parts)
  if (parts.length === 1) {
    return pieceHashV2(parts[0] as Uint8Array, v2.pieceLength, v2.fileLength, hashing)
  }
  // Downloaded pieces arrive as one part per 16 KiB block, the merkle leaves themselves:
  // hashing them in place saves joining the piece into one buffer (a copy of every byte).
  if (parts.length > 1 && isBlockPerPart(parts)) {
    const leaves = parts.map((block) => hashing.sha256([block]))
    return pieceHashV2OfLeaves(leaves, v2.pieceLength, v2.fileLength, hashing)
  }
  return pieceHashV2(Buffer.concat(parts), v2.pieceLength, v2.fileLength, hashing)
}

/** Every part a whole merkle block but the last, which is a block or less (and not empty). */
function isBlockPerPart(parts: readonly Uint8Array[]): boolean {
  const last = parts.length - 1
  for (let i = 0; i < last; i++) {
    if ((parts[i] as Uint8Array).length !== MERKLE_BLOCK_BYTES) return false
  }
  const tail = (parts[last] as Uint8Array).length
  return tail > 0 && tail <= MERKLE_BLOCK_BYTES
}

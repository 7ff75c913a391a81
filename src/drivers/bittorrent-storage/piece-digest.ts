/**
 * The digests `WorkerPieceHashing` computes, the same on a worker and on the calling thread:
 * SHA-1 of a piece (BEP 3), or the merkle root of a v2 piece's file bytes (BEP 52).
 */
import { pieceHashV2 } from '../../protocols/bittorrent/merkle/index.js'
import type { V2PieceShape } from '../../protocols/bittorrent/storage/index.js'
import { NodeHashing } from '../node/hashing.js'

const hashing = new NodeHashing()

/** SHA-1 of `parts` concatenated, or with `v2` the piece's merkle root. */
export function pieceDigest(parts: readonly Uint8Array[], v2?: V2PieceShape): Uint8Array {
  if (v2 === undefined) return hashing.sha1(parts)
  const bytes = parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts)
  return pieceHashV2(bytes, v2.pieceLength, v2.fileLength, hashing)
}

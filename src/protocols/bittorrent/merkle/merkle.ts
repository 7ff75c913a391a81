/**
 * BEP 52 merkle trees. Every file of a v2 torrent is hashed on its own: SHA-256 over each
 * 16 KiB block (the last one may be shorter), then pairs of hashes up a binary tree to the
 * file's `pieces root`. A tree always has a power-of-two number of leaves; leaves beyond the
 * end of the file are 32 zero bytes, so a missing subtree of 2^k leaves hashes to
 * `padHash(k)`. The layer whose nodes each cover one piece is the file's piece layer: the
 * .torrent carries it (`piece layers`) for every file longer than one piece, and a piece is
 * verified by hashing its blocks up to that layer.
 */
import { assert } from '../../../core/errors.js'
import type { Hashing } from '../../../core/env.js'

/** The merkle trees need SHA-256 only. */
export type Sha256Hashing = Pick<Hashing, 'sha256'>

/** Leaf size: every v2 tree hashes 16 KiB blocks. */
export const MERKLE_BLOCK_BYTES = 16 * 1024
/** SHA-256 digests. */
export const MERKLE_HASH_BYTES = 32

const ZERO_LEAF = new Uint8Array(MERKLE_HASH_BYTES)

/** The smallest power of two >= `n` (1 for 0). */
export function nextPowerOfTwo(n: number): number {
  assert(Number.isSafeInteger(n) && n >= 0, `bad count ${n}`)
  let power = 1
  while (power < n) power *= 2
  return power
}

export const isPowerOfTwo = (n: number): boolean =>
  Number.isSafeInteger(n) && n > 0 && nextPowerOfTwo(n) === n

/** log2 of a power of two. */
export function log2(powerOfTwo: number): number {
  assert(isPowerOfTwo(powerOfTwo), `${powerOfTwo} is not a power of two`)
  let exponent = 0
  for (let value = powerOfTwo; value > 1; value /= 2) exponent++
  return exponent
}

/** The root of a subtree of 2^`depth` zero leaves. */
export function padHash(depth: number, hashing: Sha256Hashing): Uint8Array {
  let hash: Uint8Array = ZERO_LEAF
  for (let level = 0; level < depth; level++) hash = hashing.sha256([hash, hash])
  return hash
}

/**
 * The root over `leaves`, completed with `pad` nodes to `width` leaves (a power of two no
 * smaller than `leaves.length`). `pad` is the hash standing for one missing leaf-level node:
 * a zero leaf for block hashes, `padHash(k)` for a layer whose nodes cover 2^k blocks.
 */
export function merkleRoot(
  leaves: readonly Uint8Array[],
  width: number,
  hashing: Sha256Hashing,
  pad: Uint8Array = ZERO_LEAF,
): Uint8Array {
  assert(isPowerOfTwo(width) && leaves.length <= width, `${leaves.length} leaves in ${width}`)
  let layer: readonly Uint8Array[] = leaves
  let padding = pad
  for (let span = width; span > 1; span /= 2) {
    const next: Uint8Array[] = []
    for (let index = 0; index < layer.length; index += 2) {
      next.push(hashing.sha256([layer[index] as Uint8Array, layer[index + 1] ?? padding]))
    }
    layer = next
    padding = hashing.sha256([padding, padding])
  }
  return layer[0] ?? padding
}

/** SHA-256 of each 16 KiB block of `data` (the last block may be shorter). */
export function blockHashes(data: Uint8Array, hashing: Sha256Hashing): Uint8Array[] {
  const hashes: Uint8Array[] = []
  for (let at = 0; at < data.length; at += MERKLE_BLOCK_BYTES) {
    hashes.push(hashing.sha256([data.subarray(at, at + MERKLE_BLOCK_BYTES)]).slice())
  }
  return hashes
}

/** Blocks per piece; v2 piece lengths are powers of two of at least one block. */
export function blocksPerPiece(pieceLength: number): number {
  assert(
    isPowerOfTwo(pieceLength) && pieceLength >= MERKLE_BLOCK_BYTES,
    `bad v2 piece length ${pieceLength}`,
  )
  return pieceLength / MERKLE_BLOCK_BYTES
}

/**
 * The hash of one piece of a file, as the piece layer holds it: the root over the piece's
 * blocks, padded to a whole piece. A file no longer than one piece has no piece layer: its
 * single piece hashes (padded only to a power of two of its own blocks) to the pieces root.
 * `data` is the file's bytes in that piece, without any BEP 47 padding after the file.
 */
export function pieceHashV2(
  data: Uint8Array,
  pieceLength: number,
  fileLength: number,
  hashing: Sha256Hashing,
): Uint8Array {
  assert(data.length > 0 && data.length <= pieceLength, `piece data of ${data.length} bytes`)
  return pieceHashV2OfLeaves(blockHashes(data, hashing), pieceLength, fileLength, hashing)
}

/**
 * `pieceHashV2` from the piece's block hashes (`blockHashes` of its data), for a caller that
 * holds the blocks apart and need not join them into one buffer first.
 */
export function pieceHashV2OfLeaves(
  leaves: readonly Uint8Array[],
  pieceLength: number,
  fileLength: number,
  hashing: Sha256Hashing,
): Uint8Array {
  const perPiece = blocksPerPiece(pieceLength)
  assert(leaves.length > 0 && leaves.length <= perPiece, `piece of ${leaves.length} blocks`)
  const width = fileLength > pieceLength ? perPiece : nextPowerOfTwo(leaves.length)
  return merkleRoot(leaves, width, hashing)
}

/**
 * The pieces root from a piece layer (piece hashes back to back). Only meaningful for files
 * longer than one piece, whose layer is what the .torrent carries.
 */
export function rootOfPieceLayer(
  layer: Uint8Array,
  pieceLength: number,
  hashing: Sha256Hashing,
): Uint8Array {
  const perPiece = blocksPerPiece(pieceLength)
  assert(layer.length % MERKLE_HASH_BYTES === 0, `piece layer of ${layer.length} bytes`)
  const hashes = splitHashes(layer)
  return merkleRoot(
    hashes,
    nextPowerOfTwo(hashes.length),
    hashing,
    padHash(log2(perPiece), hashing),
  )
}

/** Concatenated 32-byte hashes, as views. */
export function splitHashes(concatenated: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let at = 0; at < concatenated.length; at += MERKLE_HASH_BYTES) {
    out.push(concatenated.subarray(at, at + MERKLE_HASH_BYTES))
  }
  return out
}

export interface FileTree {
  /** The file's `pieces root`. */
  readonly root: Uint8Array
  /** Piece hashes back to back; undefined for a file of at most one piece (none is stored). */
  readonly pieceLayer: Uint8Array | undefined
}

/** The pieces root and piece layer of a non-empty file, from its block hashes. */
export function fileTreeOf(
  blocks: readonly Uint8Array[],
  pieceLength: number,
  hashing: Sha256Hashing,
): FileTree {
  const perPiece = blocksPerPiece(pieceLength)
  assert(blocks.length > 0, 'an empty file has no merkle tree')
  if (blocks.length <= perPiece) {
    return {
      root: merkleRoot(blocks, nextPowerOfTwo(blocks.length), hashing),
      pieceLayer: undefined,
    }
  }
  const layer = new Uint8Array(Math.ceil(blocks.length / perPiece) * MERKLE_HASH_BYTES)
  for (let piece = 0; piece * perPiece < blocks.length; piece++) {
    const leaves = blocks.slice(piece * perPiece, (piece + 1) * perPiece)
    layer.set(merkleRoot(leaves, perPiece, hashing), piece * MERKLE_HASH_BYTES)
  }
  return { root: rootOfPieceLayer(layer, pieceLength, hashing), pieceLayer: layer }
}

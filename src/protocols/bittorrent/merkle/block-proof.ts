/**
 * BEP 52 hashes below the piece layer: the 16 KiB block hashes of one piece.
 *
 * A piece's blocks form a subtree whose root is the piece's hash (its piece-layer entry, or
 * the pieces root for a file of at most one piece, whose tree is that one piece padded to a
 * power of two of its own blocks). Nobody keeps block hashes in a .torrent: a peer computes
 * them from the piece's bytes on disk, and only for a piece it has verified, so that what it
 * serves hashes up to the piece hash everyone knows.
 *
 * Fetching: when a v2 piece fails, we ask one peer for the piece's block hashes (base layer 0,
 * the whole subtree, no uncles: the piece hash is already known and is what the answer must
 * hash up to), compare them with the hashes of the blocks we received, and so find the bad
 * blocks (libtorrent's `hash_picker::verify_block_hashes`, which asks the same nodes).
 *
 * Serving: a request whose base nodes lie under one piece is answered from that piece's block
 * hashes up to the piece layer, and from the `PieceTree` above it for the uncles beyond.
 */
import { equalBytes } from '../../../core/bytes.js'
import { assert } from '../../../core/errors.js'
import { log2, MERKLE_HASH_BYTES, merkleRoot, splitHashes, type Sha256Hashing } from './merkle.js'
import {
  HASH_REQUEST_LENGTH_MAX,
  layerWidth,
  uncleCount,
  type HashRange,
  type PieceTree,
  type TreeShape,
} from './proof.js'

const ZERO_LEAF = new Uint8Array(MERKLE_HASH_BYTES)

/** The layer of one piece's subtree root: the piece layer, or the root for a one-piece file. */
export const pieceRootLayer = (shape: TreeShape): number => Math.min(shape.pieceLayer, shape.height)

/** Leaves under one piece of the file, padding leaves included. */
export const leavesPerPiece = (shape: TreeShape): number => 2 ** pieceRootLayer(shape)

/**
 * The request for the block hashes of piece `pieceInFile`: the whole subtree with no uncles,
 * or undefined when the piece is one block (its hash is its block's hash: nothing to narrow).
 */
export function blockLayerRequest(shape: TreeShape, pieceInFile: number): HashRange | undefined {
  assert(pieceInFile >= 0 && pieceInFile < shape.pieces, `no piece ${pieceInFile} in the file`)
  const length = leavesPerPiece(shape)
  if (length < 2) return undefined
  return { baseLayer: 0, index: pieceInFile * length, length, proofLayers: log2(length) - 1 }
}

/**
 * Whether `hashes` (an answer to `blockLayerRequest`) are the blocks of the piece whose hash
 * is `pieceHash`: exactly `length` leaves that hash up to it.
 */
export function leavesProvePiece(
  hashes: Uint8Array,
  length: number,
  pieceHash: Uint8Array,
  hashing: Sha256Hashing,
): boolean {
  if (hashes.length !== length * MERKLE_HASH_BYTES) return false
  return equalBytes(merkleRoot(splitHashes(hashes), length, hashing), pieceHash)
}

/**
 * The piece (in the file) whose block hashes answer `range`, or undefined when the range is not
 * below the piece layer, spans pieces, lies past the file's data, or breaks libtorrent's
 * `validate_hash_request` bounds (length, nodes in the tree, proof below the root).
 */
export function blockRangePiece(shape: TreeShape, range: HashRange): number | undefined {
  const { baseLayer, index, length, proofLayers } = range
  const top = pieceRootLayer(shape)
  if (baseLayer >= top || length > HASH_REQUEST_LENGTH_MAX) return undefined
  if (index + length > layerWidth(shape, baseLayer)) return undefined
  if (proofLayers >= shape.height - baseLayer) return undefined
  const perPiece = 2 ** (top - baseLayer)
  if (length > perPiece) return undefined
  const piece = Math.floor(index / perPiece)
  return piece < shape.pieces ? piece : undefined
}

/** The subtree of one piece from its block hashes: `layers[k]` is tree layer `k`. */
export function pieceSubtree(
  shape: TreeShape,
  leaves: readonly Uint8Array[],
  hashing: Sha256Hashing,
): Uint8Array[][] {
  const width = leavesPerPiece(shape)
  assert(leaves.length > 0 && leaves.length <= width, `${leaves.length} leaves in a piece`)
  let layer: Uint8Array[] = [...leaves]
  while (layer.length < width) layer.push(ZERO_LEAF)
  const layers = [layer]
  while (layer.length > 1) {
    const next: Uint8Array[] = []
    for (let at = 0; at < layer.length; at += 2) {
      next.push(hashing.sha256([layer[at] as Uint8Array, layer[at + 1] as Uint8Array]))
    }
    layer = next
    layers.push(layer)
  }
  return layers
}

/**
 * The `hashes` of an answer to `range` (see `blockRangePiece`) from the piece's subtree
 * (`pieceSubtree`, already checked against the piece hash) and, for uncles above the piece
 * layer, the file's `PieceTree` (undefined for a one-piece file, whose proof never leaves it).
 */
export function answerFromBlocks(
  shape: TreeShape,
  range: HashRange,
  subtree: readonly (readonly Uint8Array[])[],
  tree: PieceTree | undefined,
): Uint8Array {
  const piece = blockRangePiece(shape, range)
  assert(piece !== undefined, 'not a block-layer request')
  const top = pieceRootLayer(shape)
  const node = (layer: number, index: number): Uint8Array => {
    if (layer < top) {
      const local = index - piece * 2 ** (top - layer)
      const hash = subtree[layer]?.[local]
      assert(hash !== undefined, `no node ${index} in layer ${layer} of piece ${piece}`)
      return hash
    }
    assert(tree !== undefined, 'a proof above a one-piece file')
    return tree.node(layer, index)
  }
  const { baseLayer, index, length } = range
  const uncles = uncleCount(range)
  const out = new Uint8Array((length + uncles) * MERKLE_HASH_BYTES)
  for (let at = 0; at < length; at++) out.set(node(baseLayer, index + at), at * MERKLE_HASH_BYTES)
  let layer = baseLayer + log2(length)
  let position = index / length
  for (let at = 0; at < uncles; at++) {
    out.set(node(layer, position ^ 1), (length + at) * MERKLE_HASH_BYTES)
    layer++
    position >>= 1
  }
  return out
}

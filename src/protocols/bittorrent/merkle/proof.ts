/**
 * BEP 52 hash transfer arithmetic: answering a `hash request` from the piece layer we hold,
 * and checking the `hashes` a peer sends against the file's `pieces root`.
 *
 * Layers are numbered from the leaves: layer 0 holds the 16 KiB block hashes, layer
 * `pieceLayer` = log2(blocks per piece) the piece hashes, layer `height` the root. A request
 * names `length` consecutive nodes of layer `baseLayer` from `index` (a subtree of
 * log2(length) layers) and `proofLayers`; the answer is those nodes, then the uncle hashes
 * from the subtree's root upwards: the sibling of each ancestor, `proofLayers - log2(length)
 * + 1` of them (libtorrent's `merkle_tree::get_hashes` and `hash_picker::add_hashes` agree on
 * that count), so the proof ends at layer `baseLayer + proofLayers + 1`. Nodes past the end
 * of the file are the pad hashes of their layer.
 */
import { equalBytes } from '../../../core/bytes.js'
import { assert } from '../../../core/errors.js'
import {
  blocksPerPiece,
  log2,
  MERKLE_BLOCK_BYTES,
  MERKLE_HASH_BYTES,
  nextPowerOfTwo,
  padHash,
  splitHashes,
  type Sha256Hashing,
} from './merkle.js'

/** What a hash request or hashes message asks for, without its pieces root. */
export interface HashRange {
  readonly baseLayer: number
  readonly index: number
  readonly length: number
  readonly proofLayers: number
}

/** libtorrent's bound on a request's base hashes (8192 blocks: a 128 MiB piece). */
export const HASH_REQUEST_LENGTH_MAX = 8192
/** Piece hashes asked for in one request, as libtorrent asks them (one 512-leaf subtree). */
export const PIECE_HASHES_PER_REQUEST = 512

/** The shape of one file's merkle tree. */
export interface TreeShape {
  /** log2 of the leaf count: the root's layer. */
  readonly height: number
  /** The layer of piece hashes. */
  readonly pieceLayer: number
  /** Pieces of the file (nodes of the piece layer that are not padding). */
  readonly pieces: number
}

export function treeShape(fileLength: number, pieceLength: number): TreeShape {
  assert(fileLength > 0, 'an empty file has no tree')
  const blocks = Math.ceil(fileLength / MERKLE_BLOCK_BYTES)
  return {
    height: log2(nextPowerOfTwo(blocks)),
    pieceLayer: log2(blocksPerPiece(pieceLength)),
    pieces: Math.ceil(fileLength / pieceLength),
  }
}

/** Nodes in layer `layer` of the tree (padding included). */
export const layerWidth = (shape: TreeShape, layer: number): number => 2 ** (shape.height - layer)

/** Uncle hashes a message for `range` carries. */
export const uncleCount = (range: HashRange): number =>
  Math.max(0, range.proofLayers - log2(range.length) + 1)

/**
 * Whether we can answer `range` from a piece layer: the nodes lie in the tree at or above the
 * piece layer (block hashes are not kept), the proof stays below the root, and the length is
 * within libtorrent's bound. libtorrent's `validate_hash_request` checks the same numbers.
 */
export function answerable(shape: TreeShape, range: HashRange): boolean {
  const { baseLayer, index, length, proofLayers } = range
  if (shape.height <= shape.pieceLayer) return false // one piece: no layer to serve from
  if (baseLayer < shape.pieceLayer || baseLayer >= shape.height) return false
  if (length > HASH_REQUEST_LENGTH_MAX) return false
  if (index + length > layerWidth(shape, baseLayer)) return false
  return proofLayers < shape.height - baseLayer
}

/** A file's tree from its piece layer up to the root, every layer padded to its width. */
export class PieceTree {
  /** `layers[k]` is tree layer `pieceLayer + k`. */
  private readonly layers: Uint8Array[][] = []

  constructor(
    readonly shape: TreeShape,
    pieceLayer: Uint8Array,
    hashing: Sha256Hashing,
  ) {
    assert(shape.height > shape.pieceLayer, 'a file of one piece has no piece layer')
    assert(pieceLayer.length === shape.pieces * MERKLE_HASH_BYTES, 'piece layer length')
    let pad = padHash(shape.pieceLayer, hashing)
    let layer = splitHashes(pieceLayer)
    const width = layerWidth(shape, shape.pieceLayer)
    while (layer.length < width) layer.push(pad)
    this.layers.push(layer)
    while (layer.length > 1) {
      const next: Uint8Array[] = []
      for (let at = 0; at < layer.length; at += 2) {
        next.push(hashing.sha256([layer[at] as Uint8Array, layer[at + 1] as Uint8Array]))
      }
      pad = hashing.sha256([pad, pad])
      layer = next
      this.layers.push(layer)
    }
  }

  get root(): Uint8Array {
    return this.node(this.shape.height, 0)
  }

  node(layer: number, index: number): Uint8Array {
    const hash = this.layers[layer - this.shape.pieceLayer]?.[index]
    assert(hash !== undefined, `no node ${index} in layer ${layer}`)
    return hash
  }

  /** The `hashes` of an answer to `range` (check `answerable` first). */
  answer(range: HashRange): Uint8Array {
    assert(answerable(this.shape, range), 'unanswerable hash request')
    const { baseLayer, index, length } = range
    const uncles = uncleCount(range)
    const out = new Uint8Array((length + uncles) * MERKLE_HASH_BYTES)
    for (let at = 0; at < length; at++) {
      out.set(this.node(baseLayer, index + at), at * MERKLE_HASH_BYTES)
    }
    let layer = baseLayer + log2(length)
    let position = index / length
    for (let at = 0; at < uncles; at++) {
      out.set(this.node(layer, position ^ 1), (length + at) * MERKLE_HASH_BYTES)
      layer++
      position >>= 1
    }
    return out
  }
}

/**
 * Whether `hashes` (a peer's answer to `range`) are nodes of the tree whose root is `root`:
 * the base nodes hash up to their subtree's root, which the uncles carry up to the root. The
 * proof must reach the root itself (we trust nothing else), so `range` must ask for
 * `proofLayers = height - baseLayer - 1`. A wrong count of hashes is a lie too.
 */
export function provesRoot(
  shape: TreeShape,
  root: Uint8Array,
  range: HashRange,
  hashes: Uint8Array,
  hashing: Sha256Hashing,
): boolean {
  const { baseLayer, index, length, proofLayers } = range
  const uncles = uncleCount(range)
  if (hashes.length !== (length + uncles) * MERKLE_HASH_BYTES) return false
  if (baseLayer + proofLayers + 1 !== shape.height) return false
  if (index + length > layerWidth(shape, baseLayer)) return false
  const all = splitHashes(hashes)
  let level = all.slice(0, length)
  while (level.length > 1) {
    const next: Uint8Array[] = []
    for (let at = 0; at < level.length; at += 2) {
      next.push(hashing.sha256([level[at] as Uint8Array, level[at + 1] as Uint8Array]))
    }
    level = next
  }
  let node = level[0] as Uint8Array
  let position = index / length
  for (const uncle of all.slice(length)) {
    node = position % 2 === 0 ? hashing.sha256([node, uncle]) : hashing.sha256([uncle, node])
    position = Math.floor(position / 2)
  }
  return position === 0 && equalBytes(node, root)
}

/** The piece-layer requests that fetch a whole file's layer: 512-leaf subtrees, as libtorrent. */
export function pieceLayerRequests(shape: TreeShape): HashRange[] {
  const ranges: HashRange[] = []
  const proofLayers = shape.height - shape.pieceLayer - 1
  for (let index = 0; index < shape.pieces; index += PIECE_HASHES_PER_REQUEST) {
    const length = Math.min(PIECE_HASHES_PER_REQUEST, nextPowerOfTwo(shape.pieces - index))
    ranges.push({ baseLayer: shape.pieceLayer, index, length, proofLayers })
  }
  return ranges
}

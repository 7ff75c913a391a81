import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import {
  answerFromBlocks,
  blockLayerRequest,
  blockRangePiece,
  leavesProvePiece,
  pieceSubtree,
} from './block-proof.js'
import { blockHashes, fileTreeOf, MERKLE_BLOCK_BYTES } from './merkle.js'
import { PieceTree, provesRoot, treeShape, uncleCount } from './proof.js'

const hashing = new NodeHashing()
const PIECE = 4 * MERKLE_BLOCK_BYTES

const files = new Map<number, ReturnType<typeof makeFile>>()
const fileOf = (length: number) => {
  const made = files.get(length) ?? makeFile(length)
  files.set(length, made)
  return made
}

/** A file of `length` bytes with varied content, its tree, and the leaves of each piece. */
function makeFile(length: number) {
  const data = new Uint8Array(length)
  for (let at = 0; at < length; at++) data[at] = (at * 7 + (at >> 14)) & 0xff
  const leaves = blockHashes(data, hashing)
  const tree = fileTreeOf(leaves, PIECE, hashing)
  const shape = treeShape(length, PIECE)
  const pieceTree =
    tree.pieceLayer === undefined ? undefined : new PieceTree(shape, tree.pieceLayer, hashing)
  const piece = (index: number) => leaves.slice(index * 4, index * 4 + 4)
  return { shape, tree, pieceTree, piece }
}

test('any request a peer can send is answered or refused, and answers prove the root', () => {
  const lengths = [MERKLE_BLOCK_BYTES * 3 + 5, PIECE, PIECE * 5 + 100, PIECE * 16]
  fc.assert(
    fc.property(
      fc.constantFrom(...lengths),
      fc.nat(4),
      fc.nat(70),
      fc.nat(4),
      fc.nat(8),
      (length, baseLayer, indexSeed, lengthLog, proofLayers) => {
        const { shape, tree, pieceTree, piece } = fileOf(length)
        const count = 2 ** lengthLog
        const range = {
          baseLayer,
          index: (indexSeed >> lengthLog) * count,
          length: count,
          proofLayers,
        }
        const inFile = blockRangePiece(shape, range)
        if (inFile === undefined) return
        const subtree = pieceSubtree(shape, piece(inFile), hashing)
        const hashes = answerFromBlocks(shape, range, subtree, pieceTree)
        assert.equal(hashes.length, (count + uncleCount(range)) * 32)
        if (baseLayer + proofLayers + 1 === shape.height) {
          assert.ok(provesRoot(shape, tree.root, range, hashes, hashing))
        }
      },
    ),
    { numRuns: 300 },
  )
})

test('the block-layer request of a piece is proven by its leaves and by nothing else', () => {
  const { shape, tree, piece } = fileOf(PIECE * 5 + 100)
  const layer = tree.pieceLayer as Uint8Array
  for (let index = 0; index < shape.pieces; index++) {
    const range = blockLayerRequest(shape, index)
    assert.ok(range !== undefined)
    assert.equal(uncleCount(range), 0)
    const subtree = pieceSubtree(shape, piece(index), hashing)
    const hashes = answerFromBlocks(shape, range, subtree, undefined)
    const pieceHash = layer.subarray(index * 32, index * 32 + 32)
    assert.ok(leavesProvePiece(hashes, range.length, pieceHash, hashing))
    fc.assert(
      fc.property(fc.nat(hashes.length - 1), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const bad = hashes.slice()
        bad[at] = (bad[at] as number) ^ flip
        assert.equal(leavesProvePiece(bad, range.length, pieceHash, hashing), false)
      }),
      { numRuns: 50 },
    )
    assert.equal(leavesProvePiece(hashes.subarray(32), range.length, pieceHash, hashing), false)
  }
  // A one-block file has nothing to narrow.
  assert.equal(blockLayerRequest(treeShape(100, PIECE), 0), undefined)
})

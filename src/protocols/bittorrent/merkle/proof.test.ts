import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { nodeHashing } from '../metainfo/fixtures.test.js'
import { fileTreeOf, MERKLE_BLOCK_BYTES } from './merkle.js'
import {
  answerable,
  layerWidth,
  pieceLayerRequests,
  PieceTree,
  provesRoot,
  treeShape,
  uncleCount,
  type HashRange,
} from './proof.js'

/** A file of several pieces: random block hashes stand for its blocks (no need to hash data). */
const file = fc
  .record({
    blocksPerPieceLog: fc.integer({ min: 0, max: 3 }),
    blocks: fc.integer({ min: 2, max: 3000 }),
    tail: fc.integer({ min: 1, max: MERKLE_BLOCK_BYTES }),
    seed: fc.integer(),
  })
  .filter(({ blocksPerPieceLog, blocks }) => blocks > 2 ** blocksPerPieceLog)
  .map(({ blocksPerPieceLog, blocks, tail, seed }) => {
    const pieceLength = MERKLE_BLOCK_BYTES * 2 ** blocksPerPieceLog
    const fileLength = (blocks - 1) * MERKLE_BLOCK_BYTES + tail
    const leaves = Array.from({ length: blocks }, (_, at) =>
      nodeHashing.sha256([Uint8Array.of(seed & 0xff, (seed >> 8) & 0xff, at & 0xff, at >> 8)]),
    )
    const tree = fileTreeOf(leaves, pieceLength, nodeHashing)
    assert.ok(tree.pieceLayer !== undefined)
    const shape = treeShape(fileLength, pieceLength)
    return { shape, root: tree.root, layer: tree.pieceLayer }
  })

const SETTINGS = { numRuns: 60 }

test('the tree built from a piece layer has the pieces root of the whole file', () => {
  fc.assert(
    fc.property(file, ({ shape, root, layer }) => {
      assert.deepEqual(new PieceTree(shape, layer, nodeHashing).root, root)
    }),
    SETTINGS,
  )
})

test("our answers to libtorrent's piece-layer requests prove the root; the layer comes back", () => {
  fc.assert(
    fc.property(file, ({ shape, root, layer }) => {
      const tree = new PieceTree(shape, layer, nodeHashing)
      const rebuilt = new Uint8Array(layer.length)
      for (const range of pieceLayerRequests(shape)) {
        assert.ok(answerable(shape, range))
        const hashes = tree.answer(range)
        assert.ok(provesRoot(shape, root, range, hashes, nodeHashing))
        const real = Math.min(range.length, shape.pieces - range.index) * 32
        rebuilt.set(hashes.subarray(0, real), range.index * 32)
      }
      assert.deepEqual(rebuilt, layer)
    }),
    SETTINGS,
  )
})

/** Any answerable range whose proof reaches the root, at or above the piece layer. */
const rangeIn = (shape: ReturnType<typeof treeShape>) =>
  fc
    .record({
      layer: fc.integer({ min: shape.pieceLayer, max: shape.height - 1 }),
      lengthLog: fc.nat(12),
      slot: fc.nat(5000),
    })
    .map(({ layer, lengthLog, slot }): HashRange => {
      const width = layerWidth(shape, layer)
      const length = Math.min(2 ** lengthLog, width)
      const index = (slot % (width / length)) * length
      return { baseLayer: layer, index, length, proofLayers: shape.height - layer - 1 }
    })

test('a lying hashes message is refused: a flipped bit anywhere, a hash missing or added, a moved index', () => {
  fc.assert(
    fc.property(
      file.chain((f) => fc.tuple(fc.constant(f), rangeIn(f.shape), fc.nat(), fc.nat(7))),
      ([{ shape, root, layer }, range, at, bit]) => {
        const tree = new PieceTree(shape, layer, nodeHashing)
        const hashes = tree.answer(range)
        assert.ok(provesRoot(shape, root, range, hashes, nodeHashing))
        const flipped = hashes.slice()
        const byte = at % flipped.length
        flipped[byte] = (flipped[byte] as number) ^ (1 << bit)
        assert.ok(!provesRoot(shape, root, range, flipped, nodeHashing), 'flipped bit')
        assert.ok(!provesRoot(shape, root, range, hashes.subarray(32), nodeHashing), 'short')
        const longer = new Uint8Array(hashes.length + 32)
        longer.set(hashes)
        assert.ok(!provesRoot(shape, root, range, longer, nodeHashing), 'long')
        const width = layerWidth(shape, range.baseLayer)
        // Nodes over the file's data (past them, all subtrees are the same padding).
        const real = Math.ceil(shape.pieces / 2 ** (range.baseLayer - shape.pieceLayer))
        if (width > range.length && range.index < real) {
          const moved = { ...range, index: (range.index + range.length) % width }
          assert.ok(!provesRoot(shape, root, moved, hashes, nodeHashing), 'moved')
        }
        // A proof that stops short of the root is not trusted, even when it is true.
        if (range.proofLayers > 0) {
          const short = { ...range, proofLayers: range.proofLayers - 1 }
          const partial = hashes.subarray(0, hashes.length - (uncleCount(range) > 0 ? 32 : 0))
          assert.ok(!provesRoot(shape, root, short, partial, nodeHashing), 'partial proof')
        }
      },
    ),
    SETTINGS,
  )
})

test('requests outside the tree, below the piece layer or over-long are not answerable', () => {
  const shape = treeShape(10 * 4 * MERKLE_BLOCK_BYTES, 4 * MERKLE_BLOCK_BYTES)
  assert.deepEqual(shape, { height: 6, pieceLayer: 2, pieces: 10 })
  const ok: HashRange = { baseLayer: 2, index: 0, length: 16, proofLayers: 3 }
  assert.ok(answerable(shape, ok))
  assert.equal(uncleCount(ok), 0)
  assert.ok(!answerable(shape, { ...ok, baseLayer: 1 }), 'block hashes are not kept')
  assert.ok(!answerable(shape, { ...ok, baseLayer: 6 }), 'the root layer')
  assert.ok(!answerable(shape, { ...ok, index: 16 }), 'past the layer')
  assert.ok(!answerable(shape, { ...ok, length: 32 }), 'wider than the layer')
  assert.ok(!answerable(shape, { ...ok, proofLayers: 4 }), 'proof above the root')
  const single = treeShape(3 * MERKLE_BLOCK_BYTES, 4 * MERKLE_BLOCK_BYTES)
  assert.ok(!answerable(single, { baseLayer: 2, index: 0, length: 1, proofLayers: 0 }))
  // libtorrent asks for the tail of a 513-piece file as one hash with ten uncles.
  const big = treeShape(513 * MERKLE_BLOCK_BYTES, MERKLE_BLOCK_BYTES)
  assert.deepEqual(pieceLayerRequests(big), [
    { baseLayer: 0, index: 0, length: 512, proofLayers: 9 },
    { baseLayer: 0, index: 512, length: 1, proofLayers: 9 },
  ])
  assert.equal(uncleCount({ baseLayer: 0, index: 512, length: 1, proofLayers: 9 }), 10)
})

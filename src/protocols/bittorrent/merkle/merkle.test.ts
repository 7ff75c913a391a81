import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import fc from 'fast-check'
import { concatBytes } from '../../../core/bytes.js'
import { nodeHashing } from '../metainfo/fixtures.test.js'
import {
  blockHashes,
  fileTreeOf,
  merkleRoot,
  nextPowerOfTwo,
  padHash,
  pieceHashV2,
  rootOfPieceLayer,
  splitHashes,
} from './merkle.js'

const sha256 = (...parts: Uint8Array[]): Uint8Array =>
  new Uint8Array(createHash('sha256').update(concatBytes(parts)).digest())
const ZERO = new Uint8Array(32)

test('a tree pads missing leaves with zero hashes, up to a power of two', () => {
  const a = sha256(Uint8Array.of(1))
  const b = sha256(Uint8Array.of(2))
  const c = sha256(Uint8Array.of(3))
  assert.deepEqual(merkleRoot([a], 1, nodeHashing), a)
  assert.deepEqual(merkleRoot([a, b], 2, nodeHashing), sha256(a, b))
  assert.deepEqual(merkleRoot([a, b, c], 4, nodeHashing), sha256(sha256(a, b), sha256(c, ZERO)))
  assert.deepEqual(merkleRoot([a], 4, nodeHashing), sha256(sha256(a, ZERO), sha256(ZERO, ZERO)))
  assert.deepEqual(padHash(0, nodeHashing), ZERO)
  assert.deepEqual(padHash(2, nodeHashing), sha256(sha256(ZERO, ZERO), sha256(ZERO, ZERO)))
  assert.throws(() => merkleRoot([a, b, c], 2, nodeHashing))
  assert.throws(() => merkleRoot([a], 3, nodeHashing))
  assert.deepEqual([0, 1, 2, 3, 5, 16].map(nextPowerOfTwo), [1, 1, 2, 4, 8, 16])
})

test('a small file hashes to a tree of its own blocks; a large one through its piece layer', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 200_000 }),
      fc.constantFrom(16384, 32768, 65536),
      (length, pieceLength) => {
        const data = Uint8Array.from({ length }, (_, i) => (i * 7 + length) & 0xff)
        const blocks = blockHashes(data, nodeHashing)
        const tree = fileTreeOf(blocks, pieceLength, nodeHashing)
        // The whole-file root, computed in one go over all blocks.
        assert.deepEqual(tree.root, merkleRoot(blocks, nextPowerOfTwo(blocks.length), nodeHashing))
        if (length <= pieceLength) {
          assert.equal(tree.pieceLayer, undefined)
          assert.deepEqual(pieceHashV2(data, pieceLength, length, nodeHashing), tree.root)
          return
        }
        const layer = tree.pieceLayer as Uint8Array
        assert.equal(layer.length, Math.ceil(length / pieceLength) * 32)
        assert.deepEqual(rootOfPieceLayer(layer, pieceLength, nodeHashing), tree.root)
        for (const [index, hash] of splitHashes(layer).entries()) {
          const piece = data.subarray(index * pieceLength, (index + 1) * pieceLength)
          assert.deepEqual(pieceHashV2(piece, pieceLength, length, nodeHashing), hash)
        }
        // One flipped byte fails its piece.
        const bad = data.slice(0, Math.min(pieceLength, length))
        bad[0] = (bad[0] as number) ^ 1
        assert.notDeepEqual(
          pieceHashV2(bad, pieceLength, length, nodeHashing),
          splitHashes(layer)[0],
        )
      },
    ),
    { numRuns: 60 },
  )
})

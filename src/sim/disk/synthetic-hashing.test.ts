import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NodeHashing } from '../../drivers/node/hashing.js'
import { SyntheticHashing } from './synthetic-hashing.js'
import { syntheticBytes } from './synthetic.js'

const node = new NodeHashing()
const SEED = 42
const PIECE = 64 * 1024

/** Counts the SHA-1s that reach the real hash. */
class Counting extends NodeHashing {
  calls = 0
  override sha1(parts: readonly Uint8Array[]): Uint8Array {
    this.calls++
    return super.sha1(parts)
  }
}

function setup(): { hashing: SyntheticHashing; inner: Counting } {
  const inner = new Counting()
  const known = [0, 1, 2].map((i) => {
    const offset = i * PIECE
    return { offset, length: PIECE, sha1: node.sha1([syntheticBytes(SEED, offset, PIECE)]) }
  })
  return { hashing: new SyntheticHashing(inner, SEED, known), inner }
}

test('a registered range is answered by comparison, split into parts or whole', () => {
  const { hashing, inner } = setup()
  const piece = syntheticBytes(SEED, PIECE, PIECE)
  const parts = [piece.subarray(0, 5), piece.subarray(5, 40_000), piece.subarray(40_000)]
  assert.deepEqual(hashing.sha1(parts), node.sha1([piece]))
  assert.deepEqual(hashing.sha1([piece]), node.sha1([piece]))
  assert.equal(inner.calls, 0)
})

test('anything else is really hashed: a changed byte, a short range, unknown content', () => {
  const { hashing, inner } = setup()
  const corrupt = syntheticBytes(SEED, 0, PIECE)
  corrupt[PIECE - 1] = (corrupt[PIECE - 1] as number) ^ 1
  assert.deepEqual(hashing.sha1([corrupt]), node.sha1([corrupt]))
  const short = syntheticBytes(SEED, 0, PIECE - 4)
  assert.deepEqual(hashing.sha1([short]), node.sha1([short]))
  const other = syntheticBytes(SEED + 1, 0, PIECE)
  assert.deepEqual(hashing.sha1([other]), node.sha1([other]))
  assert.deepEqual(hashing.sha1([]), node.sha1([]))
  assert.equal(inner.calls, 4)
  // The digest handed out is a copy: changing it changes no later answer.
  const first = hashing.sha1([syntheticBytes(SEED, 0, PIECE)])
  first.fill(0)
  assert.deepEqual(
    hashing.sha1([syntheticBytes(SEED, 0, PIECE)]),
    node.sha1([syntheticBytes(SEED, 0, PIECE)]),
  )
})

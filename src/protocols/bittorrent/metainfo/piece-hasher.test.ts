import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { concatBytes } from '../../../core/bytes.js'
import { LocalProtocolError } from '../../../core/errors.js'
import { bytes, nodeHashing, sha1 } from './fixtures.test.js'
import { PieceHasher } from './piece-hasher.js'

/** The reference: slice the concatenation every `pieceLength` bytes and hash each slice. */
function reference(content: Uint8Array, pieceLength: number): Uint8Array {
  const hashes: Uint8Array[] = []
  for (let at = 0; at < content.length; at += pieceLength) {
    hashes.push(sha1(content.subarray(at, at + pieceLength)))
  }
  return concatBytes(hashes)
}

/** Splits `content` at the given cut points (any order, duplicates allowed). */
function chunk(content: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (content.length + 1)))].sort((a, b) => a - b)
  const chunks: Uint8Array[] = []
  let from = 0
  for (const point of [...points, content.length]) {
    chunks.push(content.subarray(from, point))
    from = point
  }
  return chunks
}

test('hashing in random chunks equals hashing the concatenation piece by piece', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 5000 }),
      fc.integer({ min: 1, max: 1200 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      (content, pieceLength, cuts) => {
        const hasher = new PieceHasher(pieceLength, nodeHashing)
        for (const part of chunk(content, cuts)) hasher.update(part)
        assert.equal(hasher.bytesFed, content.length)
        assert.deepEqual(hasher.finish(), reference(content, pieceLength))
      },
    ),
  )
})

test('the caller may reuse its chunk buffer after update', () => {
  const content = bytes('abcdefghij')
  const hasher = new PieceHasher(4, nodeHashing)
  const buffer = new Uint8Array(3)
  for (let at = 0; at < content.length; at += 3) {
    const part = content.subarray(at, at + 3)
    buffer.set(part)
    hasher.update(buffer.subarray(0, part.length))
    buffer.fill(0xee)
  }
  assert.deepEqual(hasher.finish(), reference(content, 4))
})

test('counts pieces as they complete; nothing fed gives no hashes', () => {
  const hasher = new PieceHasher(4, nodeHashing)
  hasher.update(bytes('abcdef'))
  assert.equal(hasher.piecesHashed, 1)
  assert.equal(hasher.finish().length, 40)
  assert.equal(new PieceHasher(4, nodeHashing).finish().length, 0)
})

test('misuse is a programmer error', () => {
  assert.throws(() => new PieceHasher(0, nodeHashing), LocalProtocolError)
  const hasher = new PieceHasher(4, nodeHashing)
  hasher.finish()
  assert.throws(() => hasher.update(bytes('x')), LocalProtocolError)
  assert.throws(() => hasher.finish(), LocalProtocolError)
  const capped = new PieceHasher(1, nodeHashing, 2)
  assert.throws(() => capped.update(bytes('abc')), LocalProtocolError)
})

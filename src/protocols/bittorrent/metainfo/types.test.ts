import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { LocalProtocolError } from '../../../core/errors.js'
import { fakePieces, fileOf, multiFileInfo, nodeHashing, torrentOf } from './fixtures.test.js'
import { parseMetainfo } from './parse.js'
import { filesInRange, type Metainfo, pieceHash, pieceLengthAt, pieceOffset } from './types.js'

/** A parsed torrent with files of `lengths` (named f0, f1, ...) and `pieceLength`. */
function torrentWith(lengths: readonly number[], pieceLength: number): Metainfo {
  const total = lengths.reduce((a, b) => a + b, 0)
  const info = multiFileInfo({
    files: lengths.map((length, i) => fileOf([`f${i}`], length)),
    'piece length': pieceLength,
    pieces: fakePieces(Math.ceil(total / pieceLength)),
  })
  const parsed = parseMetainfo(torrentOf(info), nodeHashing)
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error.message)
  return parsed.value
}

test('piece arithmetic: the last piece is shorter; hashes are 20-byte views', () => {
  const m = torrentWith([10, 0, 15], 10)
  assert.equal(m.pieceCount, 3)
  assert.deepEqual(
    [0, 1, 2].map((i) => pieceLengthAt(m, i)),
    [10, 10, 5],
  )
  assert.deepEqual(
    [0, 1, 2].map((i) => pieceOffset(m, i)),
    [0, 10, 20],
  )
  assert.deepEqual(pieceHash(m, 1), fakePieces(3).subarray(20, 40))
  assert.throws(() => pieceLengthAt(m, 3), LocalProtocolError)
  assert.throws(() => pieceHash(m, -1), LocalProtocolError)
  assert.equal(pieceLengthAt(torrentWith([20], 10), 1), 10)
})

test('filesInRange maps a range across file boundaries and skips empty files', () => {
  const m = torrentWith([10, 0, 15, 5], 8)
  assert.deepEqual(filesInRange(m, 8, 8), [
    { fileIndex: 0, fileOffset: 8, length: 2 },
    { fileIndex: 2, fileOffset: 0, length: 6 },
  ])
  assert.deepEqual(filesInRange(m, 24, 6), [
    { fileIndex: 2, fileOffset: 14, length: 1 },
    { fileIndex: 3, fileOffset: 0, length: 5 },
  ])
  assert.deepEqual(filesInRange(m, 10, 0), [])
  assert.deepEqual(filesInRange(m, 0, 30).length, 3)
  assert.throws(() => filesInRange(m, 25, 6), LocalProtocolError)
  assert.throws(() => filesInRange(m, -1, 1), LocalProtocolError)
})

test('property: segments are contiguous, positive and sum to the requested length', () => {
  const spec = fc
    .record({
      lengths: fc.array(fc.nat(50), { minLength: 1, maxLength: 12 }),
      pieceLength: fc.integer({ min: 1, max: 64 }),
      a: fc.nat(),
      b: fc.nat(),
    })
    .filter((s) => s.lengths.some((l) => l > 0))
  fc.assert(
    fc.property(spec, ({ lengths, pieceLength, a, b }) => {
      const m = torrentWith(lengths, pieceLength)
      const start = a % (m.totalLength + 1)
      const length = b % (m.totalLength - start + 1)
      const segments = filesInRange(m, start, length)
      let at = start
      for (const segment of segments) {
        const file = m.files[segment.fileIndex]
        assert.ok(file !== undefined && segment.length > 0)
        assert.equal(file.offset + segment.fileOffset, at, 'contiguous')
        assert.ok(segment.fileOffset + segment.length <= file.length, 'inside its file')
        at += segment.length
      }
      assert.equal(at, start + length)
    }),
    { numRuns: 300 },
  )
})

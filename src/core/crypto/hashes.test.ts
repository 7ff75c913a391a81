import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { toHex } from '../bytes.js'
import { SeededRandom } from '../random.js'
import { sha1 } from './sha1.js'
import { sha256 } from './sha256.js'
import { sha512 } from './sha512.js'

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const ours = { sha1, sha256, sha512 }

test('FIPS 180 vectors for "abc" and the empty input', () => {
  assert.equal(toHex(sha1([text('abc')])), 'a9993e364706816aba3e25717850c26c9cd0d89d')
  assert.equal(toHex(sha1([])), 'da39a3ee5e6b4b0d3255bfef95601890afd80709')
  assert.equal(
    toHex(sha256([text('abc')])),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  )
  assert.equal(
    toHex(sha512([text('abc')])),
    'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a' +
      '2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
  )
})

test('every length around the block and padding edges, split anywhere, matches node:crypto', () => {
  const random = new SeededRandom(7)
  for (const algorithm of ['sha1', 'sha256', 'sha512'] as const) {
    for (let length = 0; length <= 300; length++) {
      const data = new Uint8Array(length)
      for (let i = 0; i < length; i++) data[i] = random.int(256)
      const cut1 = random.int(length + 1)
      const cut2 = cut1 + random.int(length - cut1 + 1)
      const parts = [data.subarray(0, cut1), data.subarray(cut1, cut2), data.subarray(cut2)]
      const expected = createHash(algorithm).update(data).digest('hex')
      assert.equal(toHex(ours[algorithm](parts)), expected, `${algorithm} of ${length} bytes`)
    }
  }
})

test('a piece-sized input in 16 KiB blocks matches node:crypto; digests are plain arrays', () => {
  const piece = new Uint8Array(256 * 1024).map((_, i) => (i * 31) & 0xff)
  const blocks: Uint8Array[] = []
  for (let at = 0; at < piece.length; at += 16384) blocks.push(piece.subarray(at, at + 16384))
  assert.equal(toHex(sha1(blocks)), createHash('sha1').update(piece).digest('hex'))
  assert.equal(toHex(sha256(blocks)), createHash('sha256').update(piece).digest('hex'))
  assert.equal(Object.getPrototypeOf(sha1([])), Uint8Array.prototype)
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromHex, toHex } from '../../core/bytes.js'
import { NodeHashing } from './hashing.js'

const hashing = new NodeHashing()
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

test('sha1 and sha256 match the FIPS 180 test vectors for "abc"', () => {
  assert.equal(toHex(hashing.sha1([text('abc')])), 'a9993e364706816aba3e25717850c26c9cd0d89d')
  assert.equal(
    toHex(hashing.sha256([text('abc')])),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  )
})

test('hashing parts equals hashing their concatenation; no parts is the empty input', () => {
  const whole = text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')
  const parts = [
    whole.subarray(0, 3),
    whole.subarray(3, 3),
    whole.subarray(3, 40),
    whole.subarray(40),
  ]
  assert.deepEqual(hashing.sha1(parts), hashing.sha1([whole]))
  assert.deepEqual(hashing.sha256(parts), hashing.sha256([whole]))
  assert.deepEqual(hashing.sha1([]), fromHex('da39a3ee5e6b4b0d3255bfef95601890afd80709'))
})

test('digests are plain Uint8Arrays', () => {
  assert.equal(Object.getPrototypeOf(hashing.sha1([])), Uint8Array.prototype)
  assert.equal(hashing.sha256([]).length, 32)
})

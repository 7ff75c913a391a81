import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bitfieldBytes, bitfieldHas, validateBitfield } from './bitfield.js'

test('a bitfield is ceil(pieces / 8) bytes with the spare bits zero', () => {
  assert.equal(bitfieldBytes(0), 0)
  assert.equal(bitfieldBytes(8), 1)
  assert.equal(bitfieldBytes(9), 2)
  assert.ok(validateBitfield(Uint8Array.of(0xff, 0x80), 9).ok)
  assert.ok(validateBitfield(Uint8Array.of(0xff), 8).ok)
  assert.ok(validateBitfield(new Uint8Array(0), 0).ok)
})

test('a wrong length or a set spare bit is bad_bitfield', () => {
  const cases: [Uint8Array, number][] = [
    [Uint8Array.of(0xff, 0xc0), 9], // piece 9 does not exist
    [Uint8Array.of(0xff, 0x01), 15],
    [Uint8Array.of(0xff), 9], // too short
    [Uint8Array.of(0xff, 0x00), 8], // too long
  ]
  for (const [bytes, pieces] of cases) {
    const result = validateBitfield(bytes, pieces)
    assert.ok(!result.ok && result.error.code === 'bad_bitfield', `${bytes} for ${pieces}`)
  }
})

test('bitfieldHas reads the high bit of byte 0 as piece 0', () => {
  const bits = Uint8Array.of(0b1000_0001, 0b0100_0000)
  assert.deepEqual(
    [0, 1, 7, 8, 9, 100].map((i) => bitfieldHas(bits, i)),
    [true, false, true, false, true, false],
  )
})

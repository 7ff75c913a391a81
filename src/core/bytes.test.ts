import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  compareBytes,
  concatBytes,
  equalBytes,
  fromHex,
  fromUtf8,
  fromUtf8Strict,
  readUint16BE,
  readUint32BE,
  toHex,
  utf8,
  writeUint16BE,
  writeUint32BE,
} from './bytes.js'

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values)

test('toHex is lowercase and two digits per byte', () => {
  assert.equal(toHex(bytes()), '')
  assert.equal(toHex(bytes(0, 1, 0xab, 0xff)), '0001abff')
})

test('fromHex parses either case and rejects odd lengths and non-hex', () => {
  assert.deepEqual(fromHex('0001abff'), bytes(0, 1, 0xab, 0xff))
  assert.deepEqual(fromHex('0001ABFF'), bytes(0, 1, 0xab, 0xff))
  assert.deepEqual(fromHex(''), bytes())
  assert.equal(fromHex('abc'), undefined)
  assert.equal(fromHex('zz'), undefined)
  assert.equal(fromHex('0x00'), undefined)
  assert.equal(fromHex(' 00'), undefined)
})

test('hex round-trips any bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (value) => {
      assert.deepEqual(fromHex(toHex(value)), value)
      assert.deepEqual(fromHex(toHex(value).toUpperCase()), value)
    }),
  )
})

test('compareBytes orders lexicographically, a prefix first', () => {
  assert.ok(compareBytes(bytes(1, 2), bytes(1, 3)) < 0)
  assert.ok(compareBytes(bytes(2), bytes(1, 255)) > 0)
  assert.ok(compareBytes(bytes(1), bytes(1, 0)) < 0)
  assert.ok(compareBytes(bytes(), bytes(0)) < 0)
  assert.equal(compareBytes(bytes(1, 2), bytes(1, 2)), 0)
  assert.ok(compareBytes(bytes(0x80), bytes(0x7f)) > 0) // unsigned
})

test('compareBytes agrees with hex order, and with equalBytes on equality', () => {
  const short = fc.uint8Array({ maxLength: 4 }) // short, so that equal and prefix pairs occur
  fc.assert(
    fc.property(short, short, (a, b) => {
      const ha = toHex(a)
      const hb = toHex(b)
      const expected = ha < hb ? -1 : ha > hb ? 1 : 0
      assert.equal(Math.sign(compareBytes(a, b)), expected)
      assert.equal(Math.sign(compareBytes(b, a)), expected === 0 ? 0 : -expected)
      assert.equal(equalBytes(a, b), expected === 0)
    }),
  )
})

test('equalBytes compares length and content', () => {
  assert.ok(equalBytes(bytes(), bytes()))
  assert.ok(equalBytes(bytes(1, 2), bytes(1, 2)))
  assert.ok(!equalBytes(bytes(1, 2), bytes(1, 2, 3)))
  assert.ok(!equalBytes(bytes(1, 2), bytes(1, 3)))
})

test('concatBytes joins parts in order', () => {
  assert.deepEqual(concatBytes([]), bytes())
  assert.deepEqual(concatBytes([bytes(1), bytes(), bytes(2, 3)]), bytes(1, 2, 3))
  const source = bytes(9, 8, 7, 6)
  assert.deepEqual(concatBytes([source.subarray(1, 3), source.subarray(0, 1)]), bytes(8, 7, 9))
})

test('utf8 round-trips text; strict decoding rejects invalid bytes', () => {
  assert.deepEqual(utf8('é€'), bytes(0xc3, 0xa9, 0xe2, 0x82, 0xac))
  assert.equal(fromUtf8(utf8('héllo €')), 'héllo €')
  assert.equal(fromUtf8Strict(utf8('héllo €')), 'héllo €')
  assert.equal(fromUtf8(bytes(0x61, 0xff)), 'a\ufffd')
  assert.equal(fromUtf8Strict(bytes(0x61, 0xff)), undefined)
  assert.equal(fromUtf8Strict(bytes(0xc3)), undefined)
})

test('uint32 big-endian read and write', () => {
  const buffer = new Uint8Array(6)
  writeUint32BE(buffer, 1, 0x01020304)
  assert.deepEqual(buffer, bytes(0, 1, 2, 3, 4, 0))
  assert.equal(readUint32BE(buffer, 1), 0x01020304)
  writeUint32BE(buffer, 2, 0xffffffff)
  assert.equal(readUint32BE(buffer, 2), 4294967295) // unsigned, never negative
  assert.deepEqual(buffer, bytes(0, 1, 255, 255, 255, 255))
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.nat(8), (value, offset) => {
      const out = new Uint8Array(12)
      writeUint32BE(out, offset, value)
      assert.equal(readUint32BE(out, offset), value)
      assert.equal(toHex(out.subarray(offset, offset + 4)), value.toString(16).padStart(8, '0'))
    }),
  )
})

test('uint16 big-endian read and write', () => {
  const buffer = new Uint8Array(3)
  writeUint16BE(buffer, 1, 6881)
  assert.deepEqual(buffer, bytes(0, 0x1a, 0xe1))
  assert.equal(readUint16BE(buffer, 1), 6881)
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff }), (value) => {
      const out = new Uint8Array(2)
      writeUint16BE(out, 0, value)
      assert.equal(readUint16BE(out, 0), value)
    }),
  )
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { deflateSync, inflateSync } from 'node:zlib'
import fc from 'fast-check'
import { toHex, utf8 } from '../../core/bytes.js'
import { err, ok } from '../../core/result.js'
import { decodeGgep, encodeGgep, ggepSha1, GGEP_HASH_SHA1 } from './ggep.js'
import { cachedPong } from './pong-cache.js'
import { instant } from '../../core/time.js'
import { cobsDecode, cobsEncode, ggepExtension, ggepValue } from './ggep-data.js'
import type { QrpCompression } from './qrp/compression.js'

const zlib: QrpCompression = {
  deflate: (bytes) => new Uint8Array(deflateSync(bytes)),
  inflate: (bytes, max) => {
    try {
      return ok(new Uint8Array(inflateSync(bytes, { maxOutputLength: max })))
    } catch {
      return err('malformed')
    }
  },
}

test("COBS: LimeWire COBSUtilTest's vectors", () => {
  // 254 non-zero bytes: 0xFF, the bytes, then 0x01 (256 bytes); the form without the 0x01
  // decodes the same.
  const sevens = new Uint8Array(254).fill(7)
  const encoded = cobsEncode(sevens)
  assert.equal(encoded.length, 256)
  assert.deepEqual([encoded[0], encoded[255]], [0xff, 0x01])
  assert.deepEqual(cobsDecode(encoded), ok(sevens))
  assert.deepEqual(cobsDecode(encoded.subarray(0, 255)), ok(sevens))
  // n zeros: n + 1 bytes of 0x01.
  for (const n of [1, 2, 253, 254, 255, 300]) {
    const zeros = new Uint8Array(n)
    assert.deepEqual(cobsEncode(zeros), new Uint8Array(n + 1).fill(1))
    assert.deepEqual(cobsDecode(cobsEncode(zeros)), ok(zeros))
  }
  // n ones: one code byte per started 254 (plus the final run).
  for (const n of [1, 253, 254, 255, 508, 519]) {
    const ones = new Uint8Array(n).fill(1)
    assert.equal(cobsEncode(ones).length, n + Math.floor(n / 254) + 1)
  }
  assert.equal(toHex(cobsEncode(Uint8Array.of(0x11, 0x00, 0x22, 0x33))), '02110322' + '33')
  // testBadCOBSBlock: a code promising more bytes than follow; a run ending early.
  assert.ok(!cobsDecode(Uint8Array.of(11, 1, 1, 1, 1, 1, 1, 1, 1, 1)).ok)
  assert.ok(cobsDecode(Uint8Array.of(10, 1, 1, 1, 1, 1, 1, 1, 1, 1)).ok)
  assert.ok(!cobsDecode(Uint8Array.of(2, 1, 1, 2)).ok)
  assert.ok(!cobsDecode(Uint8Array.of(3, 1, 0)).ok, 'a 0x00 inside')
})

test('COBS: any bytes round-trip and the encoding holds no 0x00', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 700 }), (data) => {
      const encoded = cobsEncode(data)
      assert.ok(!encoded.includes(0))
      assert.deepEqual(cobsDecode(encoded), ok(data))
    }),
  )
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (junk) => {
      cobsDecode(junk) // never throws
    }),
  )
})

test('GGEP flags 0x40 and 0x20 on the wire: deflate first, then COBS; read back through the block codec', () => {
  const value = utf8('a value with a \u0000 in it, repeated, repeated, repeated')
  const cobs = ggepExtension('X', Uint8Array.of(0x11, 0x00, 0x22), { cobs: true })
  assert.equal(toHex(encodeGgep([cobs])), 'c3' + 'c1' + '58' + '44' + '02110222')
  const both = ggepExtension('ZZ', value, { cobs: true, deflate: true }, zlib)
  const wire = encodeGgep([both])
  assert.equal((wire[1] as number) & 0x60, 0x60, 'both flags set')
  assert.ok(!both.data.includes(0))
  assert.deepEqual(both.data, cobsEncode(zlib.deflate(value)), 'deflated, then COBS')
  const block = decodeGgep(wire)
  assert.ok(block.ok)
  const read = block.value.extensions[0]
  assert.ok(read !== undefined)
  assert.deepEqual(ggepValue(read, zlib), ok(value))
  // No inflater: refused, not guessed. Without one the writer sends the value plain.
  assert.ok(!ggepValue(read).ok)
  assert.equal(ggepExtension('ZZ', value, { deflate: true }).compressed, false)
  // Malformed: a COBS flag on data with a 0x00, a deflate flag on data that is not zlib, a bomb.
  assert.ok(!ggepValue({ id: 'X', data: Uint8Array.of(1, 0), encoded: true, compressed: false }).ok)
  assert.ok(
    !ggepValue({ id: 'X', data: Uint8Array.of(1, 2, 3), encoded: false, compressed: true }, zlib)
      .ok,
  )
  const bomb = ggepExtension('B', new Uint8Array(100_000), { deflate: true }, zlib)
  assert.ok(!ggepValue(bomb, zlib, 1000).ok)
})

test('GGEP values: any value and encodings round-trip through the wire', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 400 }),
      fc.boolean(),
      fc.boolean(),
      (value, cobs, deflate) => {
        const block = decodeGgep(encodeGgep([ggepExtension('V', value, { cobs, deflate }, zlib)]))
        assert.ok(block.ok)
        const ext = block.value.extensions[0]
        assert.ok(ext !== undefined && ext.encoded === cobs && ext.compressed === deflate)
        assert.deepEqual(ggepValue(ext, zlib), ok(value))
      },
    ),
    { numRuns: 200 },
  )
})

test('GGEP readers take COBS-encoded values: "H" (SHA-1) and the pong\'s "UP"', () => {
  const sha1 = new Uint8Array(20).fill(0).map((_, i) => (i % 3 === 0 ? 0 : i))
  const h = ggepExtension('H', Uint8Array.of(GGEP_HASH_SHA1, ...sha1), { cobs: true })
  assert.ok(!h.data.includes(0))
  assert.deepEqual(ggepSha1([h]), [sha1])
  const up = ggepExtension('UP', Uint8Array.of(0x01, 0x00, 0x05), { cobs: true })
  const heard = cachedPong(
    { type: 'pong', port: 6346, ip: '10.0.0.1', filesShared: 0, kilobytesShared: 0, ggep: [up] },
    instant(0),
  )
  assert.deepEqual([heard.ultrapeer, heard.freeLeafSlots, heard.freeUltrapeerSlots], [true, 0, 5])
})

test('GGEP readers inflate deflated values when given an inflater: "H" and the pong\'s "UP"', () => {
  const sha1 = new Uint8Array(20).fill(7)
  const h = ggepExtension('H', Uint8Array.of(GGEP_HASH_SHA1, ...sha1), { deflate: true }, zlib)
  assert.ok(h.compressed)
  assert.deepEqual(ggepSha1([h]), [])
  assert.deepEqual(ggepSha1([h], zlib), [sha1])
  const slots = new Uint8Array(64).fill(9)
  slots.set([0x01, 0x03, 0x04])
  const up = ggepExtension('UP', slots, { deflate: true }, zlib)
  assert.ok(up.compressed)
  const pong = { type: 'pong', port: 6346, ip: '10.0.0.1', filesShared: 0, kilobytesShared: 0 }
  const without = cachedPong({ ...pong, type: 'pong', ggep: [up] }, instant(0))
  assert.deepEqual([without.ultrapeer, without.freeLeafSlots], [true, undefined])
  const heard = cachedPong({ ...pong, type: 'pong', ggep: [up] }, instant(0), zlib)
  assert.deepEqual([heard.freeLeafSlots, heard.freeUltrapeerSlots], [3, 4])
})

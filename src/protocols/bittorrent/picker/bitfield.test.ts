import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { Bitfield } from './bitfield.js'

test('wire order: the high bit of byte 0 is piece 0', () => {
  const field = Bitfield.of(10, [0, 7, 9])
  assert.deepEqual([...field.toBytes()], [0b1000_0001, 0b0100_0000])
  assert.equal(field.count, 3)
  assert.ok(field.get(9) && !field.get(8))
})

test('fromBytes rejects a wrong length and set spare bits', () => {
  assert.equal(Bitfield.fromBytes(new Uint8Array([0xff]), 10).ok, false)
  const spare = Bitfield.fromBytes(new Uint8Array([0xff, 0b1110_0000]), 10)
  assert.deepEqual(spare, { ok: false, error: 'bitfield has spare bits set' })
  const good = Bitfield.fromBytes(new Uint8Array([0xff, 0b1100_0000]), 10)
  assert.ok(good.ok && good.value.hasAll() && good.value.count === 10)
})

test('full, hasAll, isEmpty and clear', () => {
  const full = Bitfield.full(13)
  assert.ok(full.hasAll())
  assert.deepEqual([...full.toBytes()], [0xff, 0b1111_1000])
  assert.equal(full.clear(12), true)
  assert.equal(full.clear(12), false)
  assert.ok(!full.hasAll())
  assert.ok(new Bitfield(5).isEmpty())
  assert.ok(Bitfield.full(0).hasAll() && new Bitfield(0).isEmpty())
})

test('set and clear report changes and keep the count', () => {
  const field = new Bitfield(20)
  assert.equal(field.set(3), true)
  assert.equal(field.set(3), false)
  assert.equal(field.count, 1)
  assert.throws(() => field.set(20))
})

test('property: bytes round-trip, ones() matches get(), count matches', () => {
  fc.assert(
    fc.property(
      fc
        .integer({ min: 0, max: 200 })
        .chain((length) =>
          fc.tuple(fc.constant(length), fc.uniqueArray(fc.nat({ max: Math.max(0, length - 1) }))),
        ),
      ([length, raw]) => {
        const indices = length === 0 ? [] : raw
        const field = Bitfield.of(length, indices)
        const sorted = [...indices].sort((a, b) => a - b)
        assert.deepEqual([...field.ones()], sorted)
        assert.equal(field.count, sorted.length)
        const parsed = Bitfield.fromBytes(field.toBytes(), length)
        assert.ok(parsed.ok && parsed.value.equals(field))
        for (let i = 0; i < length; i++) assert.equal(field.get(i), sorted.includes(i))
      },
    ),
  )
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { compareBytes, utf8 } from '../../core/bytes.js'
import { compareUtf8, groupByKey, joinRecord, sortRecords, splitRecord } from './key-order.js'

test('compareUtf8 orders as the unsigned bytes of the UTF-8 encoding', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
      assert.equal(Math.sign(compareUtf8(a, b)), Math.sign(compareBytes(utf8(a), utf8(b))))
    }),
  )
  assert.ok(compareUtf8('\u{1F600}', '\uFFFD') > 0) // a surrogate pair sorts after U+FFFD
  assert.ok(compareUtf8('B', 'a') < 0) // byte order: upper case first
})

test('records split at the first TAB; a line without one is all key', () => {
  assert.deepEqual(splitRecord('k\tv\tw'), { key: 'k', value: 'v\tw' })
  assert.deepEqual(splitRecord('lonely'), { key: 'lonely', value: '' })
  assert.equal(joinRecord({ key: 'lonely', value: '' }), 'lonely\t')
})

test('sorting then grouping gathers each key once, values in byte order', () => {
  const records = ['b\t2', 'a\t9', 'b\t1', 'a\t10'].map(splitRecord)
  assert.deepEqual(
    [...groupByKey(sortRecords(records))],
    [
      ['a', ['10', '9']],
      ['b', ['1', '2']],
    ],
  )
})

test('sortRecords equals a plain sort by key then value', () => {
  const record = fc.record({ key: fc.string({ maxLength: 3 }), value: fc.string({ maxLength: 3 }) })
  fc.assert(
    fc.property(fc.array(record, { maxLength: 40 }), (records) => {
      const expected = [...records].sort(
        (a, b) => compareUtf8(a.key, b.key) || compareUtf8(a.value, b.value),
      )
      assert.deepEqual(
        sortRecords(records.map((r) => ({ ...r }))).map((r) => [r.key, r.value]),
        expected.map((r) => [r.key, r.value]),
      )
    }),
  )
})

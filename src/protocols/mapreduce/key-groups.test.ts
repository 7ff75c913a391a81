import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  addRecord,
  countRecords,
  formatGroups,
  parseLinesInto,
  sortGroups,
  sortKeys,
  type KeyGroups,
} from './key-groups.js'
import { compareUtf8, joinRecord, sortRecords, splitRecord } from './key-order.js'

const record = fc.record({
  key: fc.string({ maxLength: 3 }).filter((key) => !/[\t\n]/.test(key)),
  value: fc.constantFrom('1', '2', '10', '', 'a\tb'),
})

test('grouped and sorted records format as the sorted record lines', () => {
  fc.assert(
    fc.property(fc.array(record, { maxLength: 60 }), (records) => {
      const groups: KeyGroups = new Map()
      for (const { key, value } of records) addRecord(groups, key, value)
      const text = formatGroups(sortGroups([...groups]))
      const expected = sortRecords(records.map((r) => ({ ...r })))
        .map((r) => `${joinRecord(r)}\n`)
        .join('')
      assert.equal(text, expected)
      assert.equal(countRecords(groups), records.length)
    }),
  )
})

test('parsing lines back gives the same groups, runs of equal lines included', () => {
  fc.assert(
    fc.property(fc.array(record, { maxLength: 60 }), (records) => {
      const sorted = sortRecords(records.map((r) => ({ ...r })))
      const text = sorted.map((r) => `${joinRecord(r)}\n`).join('')
      const groups: KeyGroups = new Map()
      assert.equal(parseLinesInto(text, groups), records.length)
      const reparsed = [...groups].flatMap(([key, values]) =>
        values.map((value) => ({ key, value })),
      )
      assert.deepEqual(reparsed, sorted)
    }),
  )
})

test('a line without TAB is all key; a last line may lack its newline', () => {
  const groups: KeyGroups = new Map()
  assert.equal(parseLinesInto('a\t1\na\t1\nlonely\nb\t2\na\t1', groups), 5)
  assert.deepEqual(
    [...groups],
    [
      ['a', ['1', '1', '1']],
      ['lonely', ['']],
      ['b', ['2']],
    ],
  )
})

test('sortGroups orders keys, then each key values, in UTF-8 byte order', () => {
  const groups = sortGroups([
    ['b', ['2', '10', '1']],
    ['\u{1F600}', ['x']],
    ['\uFFFD', ['y']],
    ['B', ['z']],
  ])
  assert.deepEqual(
    groups.map(([key]) => key),
    ['B', 'b', '\uFFFD', '\u{1F600}'],
  )
  assert.deepEqual(groups[1]?.[1], ['1', '10', '2'])
  assert.ok(compareUtf8('same', 'same') === 0)
  assert.deepEqual(splitRecord('k\tv'), { key: 'k', value: 'v' })
})

test('sortKeys orders the keys and leaves each key values in emission order', () => {
  const groups = sortKeys([
    ['b', ['2', '10', '1']],
    ['a', ['z', 'y']],
  ])
  assert.deepEqual(groups, [
    ['a', ['z', 'y']],
    ['b', ['2', '10', '1']],
  ])
})

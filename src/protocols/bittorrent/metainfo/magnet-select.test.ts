import assert from 'node:assert/strict'
import { test } from 'node:test'
import { prioritiesFromSelectOnly, selectOnlyOf } from './magnet-select.js'
import type { MetainfoFile } from './types.js'

const HASH = 'magnet:?xt=urn:btih:' + 'ab'.repeat(20)

test('so= lists indices and ranges, ascending and without repeats', () => {
  assert.deepEqual(selectOnlyOf(`${HASH}&so=0,2,4-6`), [0, 2, 4, 5, 6])
  assert.deepEqual(selectOnlyOf(`${HASH}&so=6,4-5,5`), [4, 5, 6])
  assert.deepEqual(selectOnlyOf(`${HASH}&SO=1%2C3`), [1, 3])
})

test('no so=, or a malformed one, selects nothing (the whole torrent)', () => {
  assert.equal(selectOnlyOf(HASH), undefined)
  assert.equal(selectOnlyOf(`${HASH}&so=a`), undefined)
  assert.equal(selectOnlyOf(`${HASH}&so=5-2`), undefined)
  assert.equal(selectOnlyOf(`${HASH}&so=1,,2`), undefined)
})

test('a huge range is bounded', () => {
  assert.equal(selectOnlyOf(`${HASH}&so=0-999999999`)?.length, 100_000)
})

const file = (length: number, pad = false): MetainfoFile => ({
  path: ['t', String(length)],
  length,
  offset: 0,
  pad,
  executable: false,
})

test('selected files get the default priority, others 0, pad files stay wanted', () => {
  const files = [file(10), file(6, true), file(20), file(30)]
  assert.deepEqual(prioritiesFromSelectOnly(files, [0, 3, 9]), [4, 4, 0, 4])
  // Only a pad file (or nothing that exists) selected: no selection at all.
  assert.equal(prioritiesFromSelectOnly(files, [1]), undefined)
  assert.equal(prioritiesFromSelectOnly(files, [7]), undefined)
})

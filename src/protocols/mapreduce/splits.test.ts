import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { fromUtf8, utf8 } from '../../core/bytes.js'
import {
  MAX_DEFAULT_SPLIT_BYTES,
  MIN_DEFAULT_SPLIT_BYTES,
  defaultSplitBytes,
  ownedLineRanges,
  planSplits,
} from './splits.js'

test('files are cut by size, with a slop for the last split and none for empty files', () => {
  const splits = planSplits(
    [
      { path: 'a', size: 250 },
      { path: 'b', size: 0 },
      { path: 'c', size: 105 },
    ],
    100,
  )
  assert.deepEqual(
    splits.map((split) => [split.path, split.start, split.length]),
    [
      ['a', 0, 100],
      ['a', 100, 100],
      ['a', 200, 50],
      ['c', 0, 105],
    ],
  )
})

test('every line is read by exactly one split, wherever the cuts fall', () => {
  const line = fc.string({ maxLength: 12 }).map((text) => text.replace(/[\r\n]/g, 'x'))
  fc.assert(
    fc.property(
      fc.array(line, { maxLength: 20 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 30 }),
      (lines, finalNewline, size) => {
        const text = lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : '')
        const bytes = utf8(text)
        const read: string[] = []
        for (const split of planSplits([{ path: 'f', size: bytes.length }], size)) {
          const from = split.start === 0 ? 0 : split.start - 1
          const result = ownedLineRanges(bytes.subarray(from), from, split, true)
          assert.ok(result.complete)
          for (const [start, end] of result.ranges)
            read.push(fromUtf8(bytes.subarray(from + start, from + end)))
        }
        const expected = text === '' ? [] : text.replace(/\n$/, '').split('\n')
        assert.deepEqual(read, expected)
      },
    ),
  )
})

test('a short buffer asks for more bytes instead of cutting a line', () => {
  const bytes = utf8('abc\ndefgh')
  const result = ownedLineRanges(bytes, 0, { start: 0, length: 6 }, false)
  assert.equal(result.complete, false)
  assert.deepEqual(result.ranges, [[0, 3]])
  const crlf = ownedLineRanges(utf8('ab\r\ncd'), 0, { start: 0, length: 6 }, true)
  assert.deepEqual(crlf.ranges, [
    [0, 2],
    [4, 6],
  ])
})

test('the default split size aims at 16 map tasks, between 1 MiB and 32 MiB a split', () => {
  const MiB = 1024 * 1024
  assert.equal(defaultSplitBytes(64 * MiB), 4 * MiB)
  assert.equal(defaultSplitBytes(1024 * MiB), MAX_DEFAULT_SPLIT_BYTES)
  assert.equal(defaultSplitBytes(100), MIN_DEFAULT_SPLIT_BYTES)
  assert.equal(
    planSplits([{ path: 'a', size: 256 * MiB }], defaultSplitBytes(256 * MiB)).length,
    16,
  )
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { utf8 } from '../../core/bytes.js'
import { hashPartition, textHashCode } from './partitioner.js'

test('textHashCode is Hadoop Text.hashCode: 31 * h + signed byte from 1', () => {
  assert.equal(textHashCode(utf8('')), 1)
  assert.equal(textHashCode(utf8('a')), 31 + 97)
  assert.equal(textHashCode(utf8('ab')), 31 * 128 + 98)
  // A non-ASCII key hashes its UTF-8 bytes as Java's signed bytes: é is C3 A9 = -61, -87.
  assert.equal(textHashCode(utf8('é')), 31 * (31 - 61) - 87)
  // Long keys wrap around 32 bits as Java ints do.
  let expected = 1
  for (const byte of utf8('the quick brown fox jumps'))
    expected = (Math.imul(31, expected) + byte) | 0
  assert.equal(textHashCode(utf8('the quick brown fox jumps')), expected)
})

test('hashPartition masks the sign bit and takes the remainder', () => {
  assert.equal(hashPartition(utf8('a'), 3), 128 % 3)
  const negative = utf8('the quick brown fox jumps over')
  const hash = textHashCode(negative)
  assert.equal(hashPartition(negative, 7), (hash & 0x7fffffff) % 7)
  for (let i = 0; i < 100; i++) {
    const partition = hashPartition(utf8(`key${i}`), 5)
    assert.ok(partition >= 0 && partition < 5)
  }
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Callback } from '../../../core/env.js'
import { OperationalError } from '../../../core/errors.js'
import { err, ok, type Result } from '../../../core/result.js'
import { PieceReadCache } from './read-cache.js'

/** A reader whose reads complete when the test says so. */
function manualReader() {
  const pending: { index: number; done: Callback<Uint8Array> }[] = []
  let reads = 0
  return {
    read: (index: number) => (done: Callback<Uint8Array>) => {
      reads++
      pending.push({ index, done })
    },
    complete(result: (index: number) => Result<Uint8Array, OperationalError>) {
      for (const { index, done } of pending.splice(0)) done(result(index))
    },
    get reads() {
      return reads
    },
  }
}

const bytesOf = (index: number, length = 100): Uint8Array => new Uint8Array(length).fill(index)

test('one read answers every waiter, later requests hit memory', () => {
  const cache = new PieceReadCache(1000)
  const reader = manualReader()
  const got: number[] = []
  for (let i = 0; i < 3; i++)
    cache.piece(7, reader.read(7), (r) => got.push(r.ok ? r.value[0]! : -1))
  assert.equal(reader.reads, 1)
  reader.complete((i) => ok(bytesOf(i)))
  assert.deepEqual(got, [7, 7, 7])
  cache.piece(7, reader.read(7), (r) => got.push(r.ok ? r.value.length : -1))
  assert.equal(reader.reads, 1)
  assert.deepEqual(got, [7, 7, 7, 100])
  assert.equal(cache.hits, 1)
  assert.equal(cache.misses, 1)
})

test('least recently used pieces are evicted past the budget', () => {
  const cache = new PieceReadCache(250)
  const reader = manualReader()
  for (const index of [1, 2]) cache.piece(index, reader.read(index), () => undefined)
  reader.complete((i) => ok(bytesOf(i)))
  cache.piece(1, reader.read(1), () => undefined) // 1 is now the most recent
  cache.piece(3, reader.read(3), () => undefined)
  reader.complete((i) => ok(bytesOf(i)))
  assert.equal(cache.bytesHeld, 200)
  const before = reader.reads
  cache.piece(1, reader.read(1), () => undefined)
  assert.equal(reader.reads, before, 'piece 1 stayed')
  cache.piece(2, reader.read(2), () => undefined)
  assert.equal(reader.reads, before + 1, 'piece 2 was evicted')
})

test('a failed read is not cached and reaches every waiter', () => {
  const cache = new PieceReadCache(1000)
  const reader = manualReader()
  const outcomes: string[] = []
  for (let i = 0; i < 2; i++) {
    cache.piece(4, reader.read(4), (r) => outcomes.push(r.ok ? 'ok' : r.error.code))
  }
  reader.complete(() => err(new OperationalError('not_found', 'gone')))
  assert.deepEqual(outcomes, ['not_found', 'not_found'])
  cache.piece(4, reader.read(4), () => undefined)
  assert.equal(reader.reads, 2)
  assert.equal(cache.bytesHeld, 0)
})

test('forget drops a piece, and a read in flight at the time is not kept', () => {
  const cache = new PieceReadCache(1000)
  const reader = manualReader()
  cache.piece(5, reader.read(5), () => undefined)
  cache.forget(5)
  reader.complete((i) => ok(bytesOf(i)))
  assert.equal(cache.bytesHeld, 0)
  cache.piece(5, reader.read(5), () => undefined)
  reader.complete((i) => ok(bytesOf(i)))
  assert.equal(cache.bytesHeld, 100)
  cache.forget(5)
  assert.equal(cache.bytesHeld, 0)
  cache.piece(5, reader.read(5), () => undefined)
  assert.equal(reader.reads, 3)
})

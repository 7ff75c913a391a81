import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Callback } from '../../../core/env.js'
import { OperationalError } from '../../../core/errors.js'
import { err, ok, type Result } from '../../../core/result.js'
import fc from 'fast-check'
import { PieceReadCache, rangeOfParts, type PieceParts } from './read-cache.js'

/** A reader whose reads complete when the test says so. */
function manualReader() {
  const pending: { index: number; done: Callback<PieceParts> }[] = []
  let reads = 0
  return {
    read: (index: number) => (done: Callback<PieceParts>) => {
      reads++
      pending.push({ index, done })
    },
    complete(result: (index: number) => Result<PieceParts, OperationalError>) {
      for (const { index, done } of pending.splice(0)) done(result(index))
    },
    get reads() {
      return reads
    },
  }
}

const bytesOf = (index: number, length = 100): PieceParts => [new Uint8Array(length).fill(index)]

test('one read answers every waiter, later requests hit memory', () => {
  const cache = new PieceReadCache(1000)
  const reader = manualReader()
  const got: number[] = []
  for (let i = 0; i < 3; i++)
    cache.piece(7, reader.read(7), (r) => got.push(r.ok ? r.value[0]![0]! : -1))
  assert.equal(reader.reads, 1)
  reader.complete((i) => ok(bytesOf(i)))
  assert.deepEqual(got, [7, 7, 7])
  cache.piece(7, reader.read(7), (r) => got.push(r.ok ? r.value[0]!.length : -1))
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

test('an offered piece is served without a read, and counts against the budget', () => {
  const cache = new PieceReadCache(250)
  const reader = manualReader()
  const blocks = [new Uint8Array(60).fill(1), new Uint8Array(40).fill(2)]
  cache.offer(3, blocks)
  assert.equal(cache.bytesHeld, 100)
  let served: PieceParts | undefined
  cache.piece(3, reader.read(3), (r) => (served = r.ok ? r.value : undefined))
  assert.equal(reader.reads, 0)
  assert.equal(served, blocks, 'the very parts offered')
  // A piece cached (or being read) already is not replaced by an offer.
  cache.offer(3, bytesOf(9))
  cache.piece(3, reader.read(3), (r) => (served = r.ok ? r.value : undefined))
  assert.equal(served, blocks)
  cache.forget(3)
  assert.equal(cache.bytesHeld, 0)
  for (const index of [4, 5, 6]) cache.offer(index, bytesOf(index))
  assert.equal(cache.bytesHeld, 200, 'the oldest offer was evicted')
})

test('rangeOfParts reads any range of the parts joined, as a view when one part holds it', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
      fc.nat(),
      fc.nat(),
      (lengths, a, b) => {
        let next = 0
        const parts = lengths.map((n) => Uint8Array.from({ length: n }, () => next++ % 251))
        const whole = Uint8Array.from({ length: next }, (_, i) => i % 251)
        const begin = a % next
        const length = 1 + (b % (next - begin))
        const got = rangeOfParts(parts, begin, length)
        assert.deepEqual(got, whole.subarray(begin, begin + length))
        const holder = parts.find((p) => got.buffer === p.buffer)
        let start = 0
        const inOne = parts.some((p) => {
          const fits = begin >= start && begin + length <= start + p.length
          start += p.length
          return fits
        })
        assert.equal(holder !== undefined, inOne, 'a view exactly when one part holds the range')
      },
    ),
  )
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CryptoRandom } from './random.js'

const DRAWS = 20_000

test('int stays in [0, bound) for small, 32-bit and 53-bit bounds', () => {
  const random = new CryptoRandom()
  for (const bound of [1, 2, 7, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER]) {
    for (let i = 0; i < 1000; i++) {
      const value = random.int(bound)
      assert.ok(Number.isInteger(value) && value >= 0 && value < bound, `${value} / ${bound}`)
    }
  }
})

test('int rejects bounds that are not positive safe integers', () => {
  const random = new CryptoRandom()
  for (const bound of [0, -1, 1.5, Number.NaN, 2 ** 53, Infinity]) {
    assert.throws(() => random.int(bound), RangeError, `${bound}`)
  }
})

test('int is roughly uniform (every bucket within 20 % of its share)', () => {
  const random = new CryptoRandom()
  const buckets = new Array<number>(10).fill(0)
  for (let i = 0; i < DRAWS; i++) {
    const bucket = random.int(10)
    buckets[bucket] = (buckets[bucket] ?? 0) + 1
  }
  for (const count of buckets) assert.ok(count > 1600 && count < 2400, `${buckets.join(' ')}`)
})

test('float is in [0, 1) and uses more than 32 bits', () => {
  const random = new CryptoRandom()
  let fine = false
  for (let i = 0; i < DRAWS; i++) {
    const value = random.float()
    assert.ok(value >= 0 && value < 1)
    // With only 32 random bits every value would be a multiple of 2^-32.
    if ((value * 2 ** 32) % 1 !== 0) fine = true
  }
  assert.ok(fine)
})

test('bytes returns plain Uint8Arrays of the asked length, pooled or not', () => {
  const random = new CryptoRandom()
  for (const length of [0, 1, 20, 256, 257, 10_000]) {
    const bytes = random.bytes(length)
    assert.equal(bytes.length, length)
    assert.equal(Object.getPrototypeOf(bytes), Uint8Array.prototype)
  }
  assert.notDeepEqual(random.bytes(32), random.bytes(32))
  assert.throws(() => random.bytes(-1), RangeError)
})

test('fork gives an independent stream', () => {
  const random = new CryptoRandom()
  const fork = random.fork('peer')
  assert.notEqual(fork, random)
  assert.notDeepEqual(fork.bytes(32), random.bytes(32))
})

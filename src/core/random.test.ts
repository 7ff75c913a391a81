import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom, type Random } from './random.js'

/** A mixed sequence of draws, so a test covers every method's effect on the stream. */
const draws = (random: Random, count = 50): (number | string)[] => {
  const out: (number | string)[] = []
  for (let i = 0; i < count; i++) {
    out.push(random.int(1000), random.float(), random.int(2 ** 40), random.bytes(5).join(','))
  }
  return out
}

const bump = (counts: number[], index: number): void => {
  counts[index] = (counts[index] ?? 0) + 1
}

/** Pearson's chi-square statistic of observed counts against a uniform expectation. */
const chiSquare = (counts: readonly number[]): number => {
  const total = counts.reduce((a, b) => a + b, 0)
  const expected = total / counts.length
  return counts.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0)
}

test('the same seed gives the same stream', () => {
  assert.deepEqual(draws(new SeededRandom(42)), draws(new SeededRandom(42)))
  assert.notDeepEqual(draws(new SeededRandom(42)), draws(new SeededRandom(43)))
})

test('seeds are taken modulo 2^32', () => {
  assert.equal(new SeededRandom(2 ** 32 + 5).seed, 5)
  assert.equal(new SeededRandom(-1).seed, 0xffffffff)
  assert.deepEqual(draws(new SeededRandom(2 ** 32 + 5)), draws(new SeededRandom(5)))
})

test('fork is stable for a label and differs between labels', () => {
  const a = new SeededRandom(7).fork('links')
  const b = new SeededRandom(7).fork('links')
  assert.deepEqual(draws(a), draws(b))
  assert.notDeepEqual(
    draws(new SeededRandom(7).fork('links')),
    draws(new SeededRandom(7).fork('hosts')),
  )
  assert.notDeepEqual(
    draws(new SeededRandom(7).fork('links')),
    draws(new SeededRandom(8).fork('links')),
  )
  assert.notDeepEqual(draws(new SeededRandom(7).fork('links')), draws(new SeededRandom(7)))
})

test('fork does not depend on draws made on the parent', () => {
  const used = new SeededRandom(9)
  draws(used, 10)
  assert.deepEqual(draws(used.fork('child')), draws(new SeededRandom(9).fork('child')))
})

test('draws on a fork do not shift the parent stream', () => {
  const parent = new SeededRandom(11)
  draws(parent.fork('child'))
  assert.deepEqual(draws(parent), draws(new SeededRandom(11)))
})

test('nested forks are stable', () => {
  const a = new SeededRandom(3).fork('host-1').fork('kademlia')
  const b = new SeededRandom(3).fork('host-1').fork('kademlia')
  assert.deepEqual(draws(a), draws(b))
  const c = new SeededRandom(3).fork('host-2').fork('kademlia')
  assert.notDeepEqual(draws(new SeededRandom(3).fork('host-1').fork('kademlia')), draws(c))
})

test('int stays in [0, bound) and is an integer, for small and large bounds', () => {
  const random = new SeededRandom(1)
  const bounds = [
    1,
    2,
    3,
    7,
    10,
    1000,
    2 ** 31,
    2 ** 32,
    2 ** 32 + 1,
    2 ** 40,
    Number.MAX_SAFE_INTEGER,
  ]
  for (const bound of bounds) {
    for (let i = 0; i < 500; i++) {
      const value = random.int(bound)
      assert.ok(Number.isInteger(value) && value >= 0 && value < bound, `${value} for ${bound}`)
    }
  }
  for (let i = 0; i < 20; i++) assert.equal(random.int(1), 0)
})

test('int is roughly uniform (chi-square, fixed seed)', () => {
  const random = new SeededRandom(2024)
  const counts = new Array<number>(10).fill(0)
  for (let i = 0; i < 20_000; i++) bump(counts, random.int(10))
  // 9 degrees of freedom: 27.88 is the 99.9th percentile.
  assert.ok(chiSquare(counts) < 27.88, `chi-square ${chiSquare(counts)} for ${counts.join(' ')}`)

  // A bound above 2^32 takes the float path; check it spreads over eighths of the range.
  const eighths = new Array<number>(8).fill(0)
  const bound = 2 ** 40
  for (let i = 0; i < 8000; i++) bump(eighths, Math.floor(random.int(bound) / (bound / 8)))
  // 7 degrees of freedom: 24.32 is the 99.9th percentile.
  assert.ok(chiSquare(eighths) < 24.32, `chi-square ${chiSquare(eighths)}`)
})

test('float is in [0, 1) with mean near 1/2', () => {
  const random = new SeededRandom(5)
  let sum = 0
  for (let i = 0; i < 10_000; i++) {
    const value = random.float()
    assert.ok(value >= 0 && value < 1)
    sum += value
  }
  assert.ok(Math.abs(sum / 10_000 - 0.5) < 0.02, `mean ${sum / 10_000}`)
})

test('bytes has the requested length and covers all byte values', () => {
  const random = new SeededRandom(6)
  for (const length of [0, 1, 3, 4, 5, 8, 17]) assert.equal(random.bytes(length).length, length)
  const counts = new Array<number>(256).fill(0)
  for (const byte of random.bytes(256 * 100)) bump(counts, byte)
  // 255 degrees of freedom: 330.5 is the 99.9th percentile.
  assert.ok(chiSquare(counts) < 330.5, `chi-square ${chiSquare(counts)}`)
})

test('int rejects bounds that are not positive safe integers', () => {
  const random = new SeededRandom(1)
  for (const bound of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
    assert.throws(() => random.int(bound), RangeError, String(bound))
  }
})

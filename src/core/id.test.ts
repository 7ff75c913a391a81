import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { compareBytes } from './bytes.js'
import {
  bigIntToId,
  commonPrefixLength,
  compareDistance,
  compareIds,
  equalIds,
  ID_BITS,
  idBit,
  idFromBase32,
  idFromBytes,
  idFromHex,
  idToBigInt,
  randomId,
  randomIdInBucket,
  ringDistance,
  ringDistanceBytes,
  toBase32,
  toHex,
  xorDistance,
  type Id160,
} from './id.js'
import { SeededRandom } from './random.js'

const RING = 1n << 160n
const ZERO = new Uint8Array(20) as Id160
const MAX = new Uint8Array(20).fill(0xff) as Id160

const id = (hex: string): Id160 => {
  const parsed = idFromHex(hex)
  assert.ok(parsed !== undefined, hex)
  return parsed
}

const anyId = fc
  .uint8Array({ minLength: 20, maxLength: 20 })
  .map((bytes) => idFromBytes(bytes) as Id160)

/** `b` with its first `bits` bits replaced by `a`'s. */
const withPrefixOf = (a: Id160, b: Id160, bits: number): Id160 => {
  const out = b.slice()
  for (let i = 0; i < bits; i++) {
    const mask = 0x80 >>> (i & 7)
    out[i >>> 3] = ((out[i >>> 3] as number) & ~mask) | ((a[i >>> 3] as number) & mask)
  }
  return out as Id160
}

/** An id sharing a random-length prefix with `base`: uniform ids almost never share much. */
const nearId = (base: Id160): fc.Arbitrary<Id160> =>
  fc.tuple(anyId, fc.integer({ min: 0, max: 160 })).map(([b, bits]) => withPrefixOf(base, b, bits))

/** A target and two ids near it. */
const triple = anyId.chain((t) => fc.tuple(fc.constant(t), nearId(t), nearId(t)))

/** Leading zero bits of a 20-byte distance. */
const leadingZeroBits = (bytes: Uint8Array): number => {
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number
    if (byte !== 0) return i * 8 + Math.clz32(byte) - 24
  }
  return bytes.length * 8
}

test('idFromBytes accepts exactly 20 bytes and copies them', () => {
  assert.equal(idFromBytes(new Uint8Array(19)), undefined)
  assert.equal(idFromBytes(new Uint8Array(21)), undefined)
  const source = new Uint8Array(20).fill(7)
  const parsed = idFromBytes(source)
  assert.ok(parsed !== undefined)
  source[0] = 9
  assert.equal(parsed[0], 7)
})

test('idFromHex parses 40 hex digits in either case', () => {
  const hex = 'a9993e364706816aba3e25717850c26c9cd0d89d'
  assert.equal(toHex(id(hex)), hex)
  assert.equal(toHex(id(hex.toUpperCase())), hex)
  assert.equal(idFromHex(hex.slice(2)), undefined)
  assert.equal(idFromHex(`${hex}00`), undefined)
  assert.equal(idFromHex(`${hex.slice(1)}g`), undefined)
})

test('base32 matches RFC 4648 vectors (padding omitted)', () => {
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ]
  for (const [text, encoded] of vectors)
    assert.equal(toBase32(new TextEncoder().encode(text)), encoded)
})

test('base32 of info-hashes matches known magnet forms', () => {
  // Vectors from Python's base64.b32encode.
  const vectors: [string, string][] = [
    ['c12fe1c06bba254a9dc9f519b335aa7c1367a88a', 'YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK'],
    ['a9993e364706816aba3e25717850c26c9cd0d89d', 'VGMT4NSHA2AWVOR6EVYXQUGCNSONBWE5'],
    ['000102030405060708090a0b0c0d0e0f10111213', 'AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT'],
  ]
  for (const [hex, base32] of vectors) {
    assert.equal(toBase32(id(hex)), base32)
    assert.equal(toHex(idFromBase32(base32) as Id160), hex)
    assert.equal(toHex(idFromBase32(base32.toLowerCase()) as Id160), hex)
  }
})

test('idFromBase32 rejects wrong lengths, padding and characters outside the alphabet', () => {
  assert.equal(idFromBase32('YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKE'), undefined)
  assert.equal(idFromBase32('YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEKA'), undefined)
  assert.equal(idFromBase32('YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKE='), undefined)
  assert.equal(idFromBase32('YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKE1'), undefined)
  assert.equal(idFromBase32('YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKE8'), undefined)
  assert.equal(idFromBase32('YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEé'), undefined)
})

test('hex and base32 round-trip every id', () => {
  fc.assert(
    fc.property(anyId, (a) => {
      assert.ok(equalIds(idFromHex(toHex(a)) as Id160, a))
      assert.ok(equalIds(idFromBase32(toBase32(a)) as Id160, a))
      assert.equal(toBase32(a).length, 32)
    }),
  )
})

test('xorDistance is symmetric, zero only to itself, and composes by xor', () => {
  fc.assert(
    fc.property(triple, ([a, b, c]) => {
      assert.deepEqual(xorDistance(a, b), xorDistance(b, a))
      assert.deepEqual(xorDistance(a, a), new Uint8Array(20))
      assert.equal(equalIds(a, b), leadingZeroBits(xorDistance(a, b)) === ID_BITS)
      const ab = xorDistance(a, b)
      const bc = xorDistance(b, c)
      assert.deepEqual(xorDistance(a, c), xorDistance(ab as Id160, bc as Id160))
    }),
  )
})

test('compareDistance agrees with comparing xor distances', () => {
  fc.assert(
    fc.property(triple, ([target, a, b]) => {
      const expected = Math.sign(compareBytes(xorDistance(target, a), xorDistance(target, b)))
      assert.equal(Math.sign(compareDistance(target, a, b)), expected)
      assert.equal(Math.sign(compareDistance(target, b, a)), expected === 0 ? 0 : -expected)
      assert.equal(compareDistance(target, a, a), 0)
    }),
  )
})

test('compareDistance known cases', () => {
  const target = id('8000000000000000000000000000000000000000')
  const near = id('8000000000000000000000000000000000000001')
  const far = id('0000000000000000000000000000000000000000')
  assert.ok(compareDistance(target, near, far) < 0)
  assert.ok(compareDistance(target, far, near) > 0)
  assert.ok(compareDistance(target, target, near) < 0)
})

test('commonPrefixLength known cases', () => {
  assert.equal(commonPrefixLength(ZERO, ZERO), 160)
  assert.equal(commonPrefixLength(ZERO, MAX), 0)
  assert.equal(commonPrefixLength(ZERO, id('0000000000000000000000000000000000000001')), 159)
  assert.equal(commonPrefixLength(ZERO, id('0010000000000000000000000000000000000000')), 11)
  assert.equal(commonPrefixLength(ZERO, id('0080000000000000000000000000000000000000')), 8)
})

test('commonPrefixLength equals the leading zero bits of the xor distance', () => {
  fc.assert(
    fc.property(triple, ([a, b]) => {
      const length = commonPrefixLength(a, b)
      assert.equal(length, leadingZeroBits(xorDistance(a, b)))
      assert.equal(length, commonPrefixLength(b, a))
      for (let i = 0; i < Math.min(length, 160); i++) assert.equal(idBit(a, i), idBit(b, i))
      if (length < 160) assert.notEqual(idBit(a, length), idBit(b, length))
    }),
  )
})

test('idBit reads bits most significant first', () => {
  const a = id('8000000000000000000000000000000000000001')
  assert.equal(idBit(a, 0), 1)
  assert.equal(idBit(a, 1), 0)
  assert.equal(idBit(a, 159), 1)
  assert.equal(idBit(a, 158), 0)
})

test('idToBigInt and bigIntToId round-trip and wrap modulo 2^160', () => {
  assert.equal(idToBigInt(ZERO), 0n)
  assert.equal(idToBigInt(MAX), RING - 1n)
  assert.equal(
    idToBigInt(id('a9993e364706816aba3e25717850c26c9cd0d89d')),
    968236873715988614170569073515315707566766479517n,
  )
  assert.ok(equalIds(bigIntToId(RING), ZERO))
  assert.ok(equalIds(bigIntToId(-1n), MAX))
  assert.ok(equalIds(bigIntToId(idToBigInt(MAX) + 1n), ZERO))
  fc.assert(
    fc.property(anyId, (a) => {
      assert.ok(equalIds(bigIntToId(idToBigInt(a)), a))
    }),
  )
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: RING - 1n }), (n) => {
      assert.equal(idToBigInt(bigIntToId(n)), n)
    }),
  )
})

test('ringDistance is clockwise and its two directions sum to 2^160', () => {
  assert.equal(ringDistance(ZERO, MAX), RING - 1n)
  assert.equal(ringDistance(MAX, ZERO), 1n)
  assert.equal(ringDistance(MAX, MAX), 0n)
  fc.assert(
    fc.property(triple, ([a, b]) => {
      const forward = ringDistance(a, b)
      assert.ok(forward >= 0n && forward < RING)
      assert.equal(bigIntToId(idToBigInt(a) + forward).join(), b.join())
      assert.deepEqual(ringDistanceBytes(a, b), bigIntToId(forward))
      if (equalIds(a, b)) assert.equal(forward, 0n)
      else assert.equal(forward + ringDistance(b, a), RING)
    }),
  )
})

test('compareIds orders like the big-endian integers', () => {
  fc.assert(
    fc.property(triple, ([a, b]) => {
      const expected = idToBigInt(a) < idToBigInt(b) ? -1 : idToBigInt(a) > idToBigInt(b) ? 1 : 0
      assert.equal(Math.sign(compareIds(a, b)), expected)
      assert.equal(equalIds(a, b), expected === 0)
    }),
  )
})

test('randomId is 20 bytes and reproducible from the seed', () => {
  const a = randomId(new SeededRandom(5))
  assert.equal(a.length, 20)
  assert.ok(equalIds(a, randomId(new SeededRandom(5))))
  assert.ok(!equalIds(a, randomId(new SeededRandom(6))))
})

test('randomIdInBucket shares exactly prefixLength leading bits with base', () => {
  fc.assert(
    fc.property(anyId, fc.integer({ min: 0, max: 160 }), fc.nat(), (base, prefix, seed) => {
      const random = new SeededRandom(seed)
      const result = randomIdInBucket(base, prefix, random)
      assert.equal(result.length, 20)
      assert.equal(commonPrefixLength(base, result), prefix)
    }),
    { numRuns: 500 },
  )
})

test('randomIdInBucket randomizes the bits after the prefix', () => {
  const random = new SeededRandom(11)
  const seen = new Set<string>()
  for (let i = 0; i < 32; i++) seen.add(toHex(randomIdInBucket(ZERO, 150, random)))
  // Nine free bits: 32 draws giving fewer than 20 distinct ids would mean they are not random.
  assert.ok(seen.size >= 20, `only ${seen.size} distinct ids`)
})

test('randomIdInBucket rejects prefix lengths outside 0..160', () => {
  const random = new SeededRandom(1)
  assert.throws(() => randomIdInBucket(ZERO, -1, random), /prefixLength/)
  assert.throws(() => randomIdInBucket(ZERO, 161, random), /prefixLength/)
  assert.throws(() => randomIdInBucket(ZERO, 1.5, random), /prefixLength/)
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Ring } from './ring.js'

/** The textbook definitions, with modular arithmetic spelled out: the oracle. */
const reference = (size: bigint) => {
  const distance = (from: bigint, to: bigint): bigint => (((to - from) % size) + size) % size
  return {
    add: (a: bigint, b: bigint): bigint => (a + b) % size,
    distance,
    inOpen: (x: bigint, a: bigint, b: bigint): boolean =>
      a === b ? x !== a : distance(a, x) > 0n && distance(a, x) < distance(a, b),
    inHalfOpen: (x: bigint, a: bigint, b: bigint): boolean =>
      a === b ? true : distance(a, x) > 0n && distance(a, x) <= distance(a, b),
  }
}

test('ring arithmetic without division agrees with the modular definitions (every triple of a 4-bit ring)', () => {
  const ring = new Ring(4)
  const ref = reference(ring.size)
  for (let a = 0n; a < 16n; a++) {
    for (let b = 0n; b < 16n; b++) {
      assert.equal(ring.add(a, b), ref.add(a, b))
      assert.equal(ring.distance(a, b), ref.distance(a, b))
      for (let x = 0n; x < 16n; x++) {
        assert.equal(ring.inOpen(x, a, b), ref.inOpen(x, a, b), `${x} in (${a}, ${b})`)
        assert.equal(ring.inHalfOpen(x, a, b), ref.inHalfOpen(x, a, b), `${x} in (${a}, ${b}]`)
      }
    }
  }
  assert.equal(ring.add(15n, 16n), 15n, 'b may be 2^m')
})

test('160-bit ids: arcs and distances agree with the definitions; bytes round-trip', () => {
  const ring = new Ring(160)
  const ref = reference(ring.size)
  let seed = 12345n
  const next = (): bigint => {
    // A 64-bit LCG spread over 160 bits: deterministic, no Math.random.
    seed = (seed * 6364136223846793005n + 1442695040888963407n) % (1n << 64n)
    return ((seed << 96n) ^ (seed << 40n) ^ seed) % ring.size
  }
  const edges = [0n, 1n, ring.size - 1n, ring.size / 2n]
  const values = [...edges, ...Array.from({ length: 40 }, next)]
  for (const a of values) {
    for (const b of values) {
      assert.equal(ring.distance(a, b), ref.distance(a, b))
      for (const x of values.slice(0, 12)) {
        assert.equal(ring.inOpen(x, a, b), ref.inOpen(x, a, b))
        assert.equal(ring.inHalfOpen(x, a, b), ref.inHalfOpen(x, a, b))
      }
    }
    const bytes = ring.toBytes(a)
    assert.equal(bytes.length, 20)
    assert.equal(ring.fromBytes(bytes), a)
  }
  assert.equal(ring.fromBytes(new Uint8Array(19)), undefined)
  assert.equal(new Ring(4).fromBytes(Uint8Array.of(16)), undefined, '2^m is out of range')
  assert.deepEqual(new Ring(12).toBytes(0xabcn), Uint8Array.of(0x0a, 0xbc))
})

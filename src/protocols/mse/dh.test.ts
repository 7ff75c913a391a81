import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  bytesToBigInt,
  DH_GENERATOR,
  DH_PRIME,
  DH_PRIVATE_BYTES,
  dhKeyPair,
  dhSecret,
  generatorPow,
  modPow,
  modPowWindowed,
} from './dh.js'

const privateKeys = fc.uint8Array({ minLength: DH_PRIVATE_BYTES, maxLength: DH_PRIVATE_BYTES })

test('property: the generator table gives G^X as square-and-multiply does', () => {
  fc.assert(
    fc.property(privateKeys, (bytes) => {
      const x = bytesToBigInt(bytes)
      assert.equal(generatorPow(x), modPow(DH_GENERATOR, x, DH_PRIME))
    }),
    { numRuns: 60 },
  )
})

test('generator table: zero bytes, a lone top byte, all ones, and exponents past the table', () => {
  const top = 0xffn << BigInt(8 * (DH_PRIVATE_BYTES - 1))
  const allOnes = (1n << BigInt(8 * DH_PRIVATE_BYTES)) - 1n
  const past = 1n << BigInt(8 * DH_PRIVATE_BYTES + 3)
  for (const x of [0n, 1n, 256n, top, allOnes, past, past + 12345n]) {
    assert.equal(generatorPow(x), modPow(DH_GENERATOR, x, DH_PRIME), `exponent ${x}`)
  }
})

test('property: sliding windows give what square-and-multiply gives, any base', () => {
  const bases = fc.uint8Array({ minLength: 1, maxLength: 96 }).map(bytesToBigInt)
  const exponents = fc.uint8Array({ minLength: 0, maxLength: 24 }).map(bytesToBigInt)
  fc.assert(
    fc.property(bases, exponents, (base, exponent) => {
      assert.equal(modPowWindowed(base, exponent, DH_PRIME), modPow(base, exponent, DH_PRIME))
    }),
    { numRuns: 60 },
  )
})

test('both ends derive the same secret', () => {
  fc.assert(
    fc.property(privateKeys, privateKeys, (a, b) => {
      const one = dhKeyPair(a)
      const two = dhKeyPair(b)
      const s1 = dhSecret(one.privateKey, two.publicKey)
      const s2 = dhSecret(two.privateKey, one.publicKey)
      assert.ok(s1 !== undefined && s2 !== undefined)
      assert.deepEqual(s1, s2)
    }),
    { numRuns: 20 },
  )
})

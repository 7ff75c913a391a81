import assert from 'node:assert/strict'
import { createCipheriv, createHash } from 'node:crypto'
import { test } from 'node:test'
import fc from 'fast-check'
import { NodeOnionCrypto } from './node-crypto.js'

const crypto = new NodeOnionCrypto()
const oneShotCtr = (key: Uint8Array, bytes: Uint8Array): Uint8Array =>
  new Uint8Array(createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(bytes))

test('AES-128-CTR, copying or in place, equals one pass over the input at any split', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      // Parts of any size, empty ones included: the counter carries over between calls.
      fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 12 }),
      (key, sizes) => {
        const total = sizes.reduce((sum, size) => sum + size, 0)
        const plain = new Uint8Array(total).map((_, i) => (i * 7) & 255)
        const expected = oneShotCtr(key, plain)
        const copying = crypto.aes128Ctr(key)
        const inPlace = crypto.aes128Ctr(key)
        let offset = 0
        for (const size of sizes) {
          const want = expected.subarray(offset, offset + size)
          const part = plain.slice(offset, offset + size)
          assert.deepEqual(copying.apply(part), want)
          assert.deepEqual(part, plain.subarray(offset, offset + size), 'apply leaves its input')
          inPlace.applyInPlace(part)
          assert.deepEqual(part, want)
          offset += size
        }
      },
    ),
    { numRuns: 60 },
  )
})

test('in place over views at any alignment of a shared buffer, the same keystream', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.array(fc.integer({ min: 0, max: 1200 }), { minLength: 1, maxLength: 16 }),
      (key, sizes) => {
        const total = sizes.reduce((sum, size) => sum + size, 0)
        const plain = new Uint8Array(total).map((_, i) => (i * 13 + 5) & 255)
        const expected = oneShotCtr(key, plain)
        const shared = plain.slice()
        const cipher = crypto.aes128Ctr(key)
        let offset = 0
        // each part is a view at offset `offset` of one buffer: 4-aligned or not
        for (const size of sizes) {
          cipher.applyInPlace(shared.subarray(offset, offset + size))
          offset += size
        }
        assert.deepEqual(shared, expected)
      },
    ),
    { numRuns: 80 },
  )
})

const sha1 = (...bytes: number[]): Buffer =>
  createHash('sha1').update(Uint8Array.from(bytes)).digest()

test('peekWith gives the digest with the extra bytes and leaves the running hash where it was', () => {
  const digest = crypto.runningSha1(Uint8Array.of(1, 2, 3))
  digest.update(Uint8Array.of(4))
  const peeked = digest.peekWith(Uint8Array.of(5, 6))
  assert.deepEqual(Buffer.from(peeked), sha1(1, 2, 3, 4, 5, 6))
  assert.deepEqual(Buffer.from(digest.current()), sha1(1, 2, 3, 4))
  digest.update(Uint8Array.of(5, 6))
  assert.deepEqual(Buffer.from(digest.current()), sha1(1, 2, 3, 4, 5, 6))
})

test('both running digests (node:crypto and JavaScript) agree with SHA-1 over any mix of steps', () => {
  const implementations = [new NodeOnionCrypto(), new NodeOnionCrypto(true)]
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 20, maxLength: 20 }),
      fc.array(
        fc.record({
          step: fc.constantFrom('update', 'advance', 'peek', 'peek-commit'),
          bytes: fc.uint8Array({ maxLength: 600 }),
        }),
        { maxLength: 10 },
      ),
      (seed, steps) => {
        for (const implementation of implementations) {
          const running = implementation.runningSha1(seed)
          const hash = createHash('sha1').update(seed)
          for (const { step, bytes } of steps) {
            const mine = bytes.slice()
            if (step === 'update') running.update(mine)
            else if (step === 'advance')
              assert.deepEqual(
                Buffer.from(running.advance(mine)),
                hash.update(bytes).copy().digest(),
              )
            else {
              const peeked = running.peekWith(mine)
              assert.deepEqual(Buffer.from(peeked), hash.copy().update(bytes).digest())
              // the caller may restore bytes of the cell before committing (relay-crypto does)
              mine.fill(0xff)
              if (step === 'peek-commit') {
                running.commitPeek()
                hash.update(bytes)
              }
            }
            if (step === 'update') hash.update(bytes)
            assert.deepEqual(Buffer.from(running.current()), hash.copy().digest())
          }
        }
      },
    ),
    { numRuns: 150 },
  )
})

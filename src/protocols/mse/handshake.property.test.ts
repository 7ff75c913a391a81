/**
 * Hostile and fragmented input for the MSE handshake: random bytes never throw and never
 * make a responder buffer without bound, and a valid handshake completes however the bytes
 * are split and whatever the pads.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import fc from 'fast-check'
import { toHex } from '../../core/bytes.js'
import { SeededRandom } from '../../core/random.js'
import { MseInitiator, MseResponder } from './handshake.js'
import { CRYPTO_PLAINTEXT, CRYPTO_RC4, skeyHash, type Sha1 } from './messages.js'

const sha1: Sha1 = (parts) => {
  const hash = createHash('sha1')
  for (const part of parts) hash.update(part)
  return new Uint8Array(hash.digest())
}
const SKEY = new Uint8Array(20).fill(3)
const table = new Map([[toHex(skeyHash(sha1, SKEY)), SKEY]])

const responder = (seed: number): MseResponder =>
  new MseResponder({
    sha1,
    random: new SeededRandom(seed),
    allowed: CRYPTO_RC4 | CRYPTO_PLAINTEXT,
    findSkey: (req2) => table.get(toHex(req2)),
  })

/** Splits `bytes` at the given cut points. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y)
  const parts: Uint8Array[] = []
  let from = 0
  for (const point of [...points, bytes.length]) {
    parts.push(bytes.subarray(from, point))
    from = point
  }
  return parts
}

test('random bytes: the responder never throws and gives up within the bounds', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 3000 }), fc.nat(1000), (bytes, seed) => {
      const b = responder(seed)
      for (let i = 0; i < bytes.length; i += 97) b.receive(bytes.subarray(i, i + 97))
      // Past Ya, 512 bytes of PadA and the 20-byte hash, a stranger's bytes are refused.
      if (bytes.length >= 96 + 512 + 20) assert.equal(b.state, 'failed')
      else assert.notEqual(b.state, 'done')
    }),
    { numRuns: 60 },
  )
})

test('random bytes after Ya: the initiator never throws, and fails past PadB', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 96, maxLength: 2000 }), (bytes) => {
      const a = new MseInitiator({
        sha1,
        random: new SeededRandom(1),
        skey: SKEY,
        provide: CRYPTO_RC4,
      })
      a.receive(bytes)
      if (bytes.length >= 96 + 512 + 8) assert.notEqual(a.state, 'handshaking')
      assert.notEqual(a.state, 'done')
    }),
    { numRuns: 60 },
  )
})

test('any split of a valid exchange, any pads, one flipped bit: done or a clean failure', () => {
  fc.assert(
    fc.property(
      fc.nat(10_000),
      fc.array(fc.nat(5000), { maxLength: 8 }),
      fc.option(fc.nat(4000), { nil: undefined }),
      (seed, cuts, flip) => {
        const a = new MseInitiator({
          sha1,
          random: new SeededRandom(seed),
          skey: SKEY,
          provide: CRYPTO_RC4,
        })
        const b = responder(seed + 1)
        let flipped = false
        for (let round = 0; round < 10; round++) {
          for (const bytes of a.takeOutbox()) {
            const copy = Uint8Array.from(bytes)
            if (flip !== undefined && !flipped && flip < copy.length) {
              copy[flip] = (copy[flip] as number) ^ 1
              flipped = true
            }
            for (const part of split(copy, cuts)) b.receive(part)
          }
          for (const bytes of b.takeOutbox()) for (const part of split(bytes, cuts)) a.receive(part)
        }
        if (flipped) {
          // A flipped bit in Ya or the pads may still succeed (other key, ignored pad);
          // elsewhere it must fail, never hang past the bounds or throw.
          if (b.state === 'done') assert.ok(a.state === 'done' || a.state === 'failed')
        } else {
          assert.equal(a.state, 'done')
          assert.equal(b.state, 'done')
          assert.equal(a.result?.method, 'rc4')
        }
      },
    ),
    { numRuns: 40 },
  )
})

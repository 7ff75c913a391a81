import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import fc from 'fast-check'
import { JsRunningSha1 } from './running-sha1.js'

const nodeSha1 = (...parts: Uint8Array[]): Uint8Array => {
  const hash = createHash('sha1')
  for (const part of parts) hash.update(part)
  return new Uint8Array(hash.digest())
}

test('the JavaScript SHA-1 equals node:crypto over any seed and any split', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }),
      fc.array(fc.uint8Array({ maxLength: 700 }), { maxLength: 8 }),
      (seed, parts) => {
        const running = new JsRunningSha1(seed)
        const fed: Uint8Array[] = [seed]
        for (const part of parts) {
          running.update(part)
          fed.push(part)
          assert.deepEqual(running.current(), nodeSha1(...fed))
        }
      },
    ),
    { numRuns: 200 },
  )
  // the FIPS 180 example, and the empty message
  assert.equal(
    Buffer.from(new JsRunningSha1(new TextEncoder().encode('abc')).current()).toString('hex'),
    'a9993e364706816aba3e25717850c26c9cd0d89d',
  )
  assert.equal(
    Buffer.from(new JsRunningSha1(new Uint8Array(0)).current()).toString('hex'),
    'da39a3ee5e6b4b0d3255bfef95601890afd80709',
  )
})

test('peekWith leaves the state; commitPeek adopts it; an update in between forbids it', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 20, maxLength: 20 }),
      fc.array(fc.uint8Array({ minLength: 509, maxLength: 509 }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      (seed, cells, keep) => {
        const running = new JsRunningSha1(seed)
        const fed: Uint8Array[] = [seed]
        cells.forEach((cell, i) => {
          const peeked = running.peekWith(cell)
          assert.deepEqual(peeked, nodeSha1(...fed, cell))
          assert.deepEqual(running.current(), nodeSha1(...fed), 'a peek does not advance')
          if (keep[i] === true) {
            running.commitPeek()
            fed.push(cell)
          }
          assert.deepEqual(running.current(), nodeSha1(...fed))
        })
      },
    ),
    { numRuns: 100 },
  )
  const running = new JsRunningSha1(new Uint8Array(20))
  running.peekWith(new Uint8Array(509))
  running.update(new Uint8Array(1))
  assert.throws(() => running.commitPeek(), /without a peekWith/)
})

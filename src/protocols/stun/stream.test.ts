import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { SeededRandom } from '../../core/random.js'
import { encodeStun } from './codec.js'
import { StunMethod } from './constants.js'
import { StunStreamReader } from './stream.js'

/** STUN over TCP (RFC 5389 section 7.2.2): messages back to back, cut anywhere. */

const message = fc.nat(1000).map((seed) => {
  const random = new SeededRandom(seed)
  return encodeStun(
    {
      method: StunMethod.Binding,
      messageClass: 'request',
      transactionId: random.bytes(12),
      attributes: seed % 2 === 0 ? [] : [{ type: 'software', value: 'x'.repeat(seed % 40) }],
    },
    { fingerprint: true },
  )
})

test('STUN stream: messages come back whole and in order, however the stream is cut', () => {
  fc.assert(
    fc.property(
      fc.array(message, { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
      (messages, cuts) => {
        const stream = Buffer.concat(messages)
        const reader = new StunStreamReader()
        const got: Uint8Array[] = []
        for (let at = 0, i = 0; at < stream.length; i++) {
          const size = cuts[i % cuts.length] ?? 1
          const chunk = stream.subarray(at, at + size)
          got.push(...reader.push(chunk))
          chunk.fill(0xee)
          at += size
        }
        assert.deepEqual(
          got.map((m) => Array.from(m)),
          messages.map((m) => Array.from(m)),
        )
        assert.equal(reader.broken, false)
        assert.equal(reader.buffered, 0)
      },
    ),
  )
})

test('STUN stream: bytes that cannot start a STUN message break the stream, never throw', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }), (chunks) => {
      const reader = new StunStreamReader()
      for (const chunk of chunks) reader.push(chunk)
      assert.ok(reader.buffered <= 20 + 0xfffc)
    }),
  )
  const reader = new StunStreamReader()
  assert.deepEqual(reader.push(new Uint8Array([0x80, 0, 0, 4])), [])
  assert.equal(reader.broken, true)
  const odd = new StunStreamReader()
  odd.push(new Uint8Array([0, 1, 0, 3]))
  assert.equal(odd.broken, true, 'a length that is not a multiple of 4')
})

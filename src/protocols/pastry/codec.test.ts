import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { readIpv6 } from '../../core/ip-bytes.js'
import { decodePastry, encodePastry, PASTRY_LIMITS } from './codec.js'
import type { PastryMessage, PastryRef } from './messages.js'

const idArb = fc.string({
  unit: fc.constantFrom(...'0123456789abcdef'),
  minLength: 32,
  maxLength: 32,
})
/** IPv4 or IPv6 (in the canonical text a decoder gives back, RFC 5952), `::1` among them. */
const addressArb = fc.record({
  host: fc.oneof(
    fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.')),
    fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => readIpv6(b, 0)),
    fc.constant('::1'),
  ),
  port: fc.nat(65535),
})
const refArb: fc.Arbitrary<PastryRef> = fc.record({ id: idArb, address: addressArb })
const refs = fc.array(refArb, { maxLength: 6 })
const tx = fc.nat(0xffffffff)
const bytes = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max })

const messageArb: fc.Arbitrary<PastryMessage> = fc.oneof(
  fc.record({
    type: fc.constant('route' as const),
    tx,
    key: idArb,
    join: fc.boolean(),
    avoid: fc.array(addressArb, { maxLength: 4 }),
  }),
  fc.record({
    type: fc.constant('route_reply' as const),
    tx,
    status: fc.constantFrom('owner' as const, 'next' as const),
    node: refArb,
    row: refs,
    leaves: refs,
    near: refs,
  }),
  fc.record({ type: fc.constant('announce' as const), id: idArb }),
  fc.record({ type: fc.constant('ping' as const), tx, id: idArb, wantLeaves: fc.boolean() }),
  fc.record({ type: fc.constant('pong' as const), tx, id: idArb, leaves: refs }),
  fc.record({
    type: fc.constant('data' as const),
    tx,
    action: fc.constantFrom('put' as const, 'get' as const, 'remove' as const),
    key: bytes(64),
    value: bytes(100),
  }),
  fc.record({
    type: fc.constant('data_reply' as const),
    tx,
    status: fc.constantFrom('ok' as const, 'not_found' as const),
  }),
  fc.record({
    type: fc.constant('store' as const),
    replica: fc.boolean(),
    items: fc.array(fc.record({ key: bytes(40), value: bytes(80) }), { maxLength: 4 }),
  }),
)

test('every Pastry message survives encode then decode unchanged', () => {
  fc.assert(
    fc.property(messageArb, (m) => {
      const decoded = decodePastry(encodePastry(m))
      assert.ok(decoded.ok, JSON.stringify(decoded))
      assert.deepEqual(decoded.value, structuredClone(m))
    }),
    { numRuns: 500 },
  )
})

test('random, truncated and flipped bytes are fault values, never exceptions', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
      assert.equal(typeof decodePastry(b).ok, 'boolean')
    }),
    { numRuns: 2000 },
  )
  fc.assert(
    fc.property(messageArb, fc.nat(), (m, cut) => {
      const b = encodePastry(m)
      const short = b.slice(0, cut % b.length)
      assert.equal(decodePastry(short).ok, false)
    }),
    { numRuns: 500 },
  )
  assert.deepEqual(decodePastry(new Uint8Array(PASTRY_LIMITS.datagramBytes + 1)), {
    ok: false,
    error: { code: 'oversized' },
  })
  const pong = encodePastry({ type: 'pong', tx: 1, id: '0'.repeat(32), leaves: [] })
  pong[pong.length - 1] = 200
  assert.deepEqual(decodePastry(pong), { ok: false, error: { code: 'too_many' } })
})

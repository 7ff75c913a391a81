import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { readIpv6 } from '../../core/ip-bytes.js'
import { CAN_LIMITS, decodeCan, encodeCan } from './codec.js'
import type { CanMessage, CanNodeInfo } from './messages.js'

const SCALE = 2 ** 32
const idArb = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 32 })
/** IPv4 or IPv6 (in the canonical text a decoder gives back, RFC 5952), `::1` among them. */
const addressArb = fc.record({
  host: fc.oneof(
    fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.')),
    fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => readIpv6(b, 0)),
    fc.constant('::1'),
  ),
  port: fc.nat(65535),
})
const zoneArb = fc.array(fc.constantFrom('0', '1'), { maxLength: 70 }).map((b) => b.join(''))
const infoArb: fc.Arbitrary<CanNodeInfo> = fc.record({
  address: addressArb,
  id: idArb,
  zones: fc.array(zoneArb, { maxLength: 4 }),
})
const pointArb = fc.array(
  fc.nat(SCALE - 1).map((x) => x / SCALE),
  { minLength: 1, maxLength: 8 },
)
const bytesArb = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max })
const tx = fc.nat(0xffffffff)

const messageArb: fc.Arbitrary<CanMessage> = fc.oneof(
  fc.record({
    type: fc.constant('route' as const),
    tx,
    point: pointArb,
    avoid: fc.array(addressArb, { maxLength: 4 }),
  }),
  fc.oneof(
    fc.record({
      type: fc.constant('route_reply' as const),
      tx,
      status: fc.constantFrom('owner' as const, 'next' as const, 'none' as const),
    }),
    fc.record({
      type: fc.constant('route_reply' as const),
      tx,
      status: fc.constantFrom('owner' as const, 'next' as const),
      node: infoArb,
    }),
  ),
  fc.record({
    type: fc.constant('data' as const),
    tx,
    action: fc.constantFrom('put' as const, 'get' as const, 'remove' as const),
    key: bytesArb(64),
    value: bytesArb(200),
  }),
  fc.record({
    type: fc.constant('data_reply' as const),
    tx,
    status: fc.constantFrom('ok' as const, 'not_found' as const, 'not_owner' as const),
    stored: fc.nat(255),
  }),
  fc.record({
    type: fc.constant('join' as const),
    tx,
    id: idArb,
    point: pointArb,
    redirected: fc.boolean(),
  }),
  fc.record(
    {
      type: fc.constant('join_reply' as const),
      tx,
      accepted: fc.boolean(),
      zones: fc.array(zoneArb, { maxLength: 3 }),
      neighbours: fc.array(infoArb, { maxLength: 6 }),
      redirect: infoArb,
    },
    { requiredKeys: ['type', 'tx', 'accepted', 'zones', 'neighbours'] },
  ),
  fc.record({
    type: fc.constant('update' as const),
    id: idArb,
    zones: fc.array(zoneArb, { maxLength: 3 }),
    neighbours: fc.array(infoArb, { maxLength: 6 }),
  }),
  fc.record({
    type: fc.constant('give' as const),
    tx,
    id: idArb,
    zone: zoneArb,
    merge: fc.boolean(),
  }),
  fc.record({ type: fc.constant('give_reply' as const), tx, accepted: fc.boolean() }),
  fc.record({
    type: fc.constant('handoff' as const),
    kind: fc.constantFrom('primary' as const, 'replica' as const, 'unreplicate' as const),
    items: fc.array(fc.record({ key: bytesArb(40), value: bytesArb(100) }), { maxLength: 5 }),
  }),
)

test('every CAN message survives encode then decode unchanged', () => {
  fc.assert(
    fc.property(messageArb, (m) => {
      const decoded = decodeCan(encodeCan(m))
      assert.ok(decoded.ok, JSON.stringify(decoded))
      // fast-check builds null-prototype records; compare as plain data.
      assert.deepEqual(decoded.value, structuredClone(m))
    }),
    { numRuns: 500 },
  )
})

test('random bytes decode to a message or a fault value, never an exception', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      const decoded = decodeCan(bytes)
      assert.equal(typeof decoded.ok, 'boolean')
    }),
    { numRuns: 2000 },
  )
})

test('truncations and bit flips of valid messages are faults or valid messages', () => {
  fc.assert(
    fc.property(messageArb, fc.nat(), fc.nat(255), (m, cut, flip) => {
      const bytes = encodeCan(m)
      const short = bytes.slice(0, cut % (bytes.length + 1))
      if (short.length < bytes.length) assert.equal(decodeCan(short).ok, false)
      const flipped = bytes.slice()
      const at = cut % bytes.length
      flipped[at] = (flipped[at] as number) ^ (flip | 1)
      assert.equal(typeof decodeCan(flipped).ok, 'boolean')
    }),
    { numRuns: 1000 },
  )
})

test('oversized and over-limit input is refused without allocating', () => {
  assert.deepEqual(decodeCan(new Uint8Array(CAN_LIMITS.datagramBytes + 1)), {
    ok: false,
    error: { code: 'oversized' },
  })
  // An update claiming 255 neighbours (limit 64).
  const update = encodeCan({ type: 'update', id: 'a', zones: [], neighbours: [] })
  update[update.length - 1] = 255
  assert.deepEqual(decodeCan(update), { ok: false, error: { code: 'too_many' } })
  // A zone deeper than the limit.
  const give = encodeCan({ type: 'give', tx: 1, id: 'a', zone: '', merge: false })
  const deep = new Uint8Array(give.length)
  deep.set(give)
  deep[deep.length - 2] = 0xff
  deep[deep.length - 1] = 0xff
  assert.equal(decodeCan(deep).ok, false)
  // An unknown type and trailing bytes.
  assert.equal(decodeCan(Uint8Array.of(200)).ok, false)
  const reply = encodeCan({ type: 'give_reply', tx: 1, accepted: true })
  assert.deepEqual(decodeCan(Uint8Array.of(...reply, 0)), {
    ok: false,
    error: { code: 'trailing_bytes' },
  })
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { address } from '../../core/address.js'
import { readIpv6 } from '../../core/ip-bytes.js'
import { chordCodec, DATAGRAM_BYTES_MAX, NODES_MAX, VALUE_BYTES_MAX } from './codec.js'
import type { ChordMessage, NodeRef } from './messages.js'
import { Ring } from './ring.js'

const ring = new Ring(160)
const codec = chordCodec(ring)

const id = fc.bigInt({ min: 0n, max: ring.size - 1n })
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'))
/** Any IPv6 address, in the canonical text a decoder gives back (RFC 5952). */
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => readIpv6(b, 0))
const ip = fc.oneof(ipv4, ipv6, fc.constant('::1'))
const node: fc.Arbitrary<NodeRef> = fc
  .record({ id, host: ip, port: fc.integer({ min: 1, max: 65535 }) })
  .map((n) => ({ id: n.id, address: address(n.host, n.port) }))
const nodes = fc.array(node, { maxLength: 8 })
const value = fc.uint8Array({ maxLength: VALUE_BYTES_MAX })
const head = { tid: fc.nat(0xffffffff), sender: id }

const message: fc.Arbitrary<ChordMessage> = fc.oneof(
  fc.record({ type: fc.constant('find_successor' as const), ...head, target: id }),
  fc.record({ type: fc.constant('found' as const), ...head, successors: nodes }),
  fc.record({ type: fc.constant('next' as const), ...head, candidates: nodes }),
  fc.record({ type: fc.constant('get_predecessor' as const), ...head }),
  fc.record(
    { type: fc.constant('predecessor' as const), ...head, predecessor: node, successors: nodes },
    { requiredKeys: ['type', 'tid', 'sender', 'successors'] },
  ),
  fc.record(
    { type: fc.constant('leaving' as const), ...head, predecessor: node, successors: nodes },
    { requiredKeys: ['type', 'tid', 'sender', 'successors'] },
  ),
  fc.record({ type: fc.constant('notify' as const), ...head }),
  fc.record({ type: fc.constant('ping' as const), ...head }),
  fc.record({ type: fc.constant('pong' as const), ...head }),
  fc.record({ type: fc.constant('store' as const), ...head, key: id, value }),
  fc.record({ type: fc.constant('stored' as const), ...head }),
  fc.record({ type: fc.constant('fetch' as const), ...head, key: id }),
  fc.record(
    { type: fc.constant('value' as const), ...head, value },
    { requiredKeys: ['type', 'tid', 'sender'] },
  ),
  fc.record({ type: fc.constant('remove' as const), ...head, key: id }),
  fc.record({ type: fc.constant('removed' as const), ...head }),
  fc.record({
    type: fc.constant('route' as const),
    ...head,
    target: id,
    origin: node,
    path: fc.array(node, { maxLength: NODES_MAX }),
  }),
  fc.record({
    type: fc.constant('routed' as const),
    ...head,
    successors: nodes,
    path: fc.array(node, { maxLength: NODES_MAX }),
  }),
)

test('chord codec: every message survives encode and decode, within the datagram limit', () => {
  fc.assert(
    fc.property(message, (m) => {
      const bytes = codec.encode(m)
      assert.ok(bytes.length <= DATAGRAM_BYTES_MAX)
      const back = codec.decode(bytes)
      assert.ok(back.ok)
      assert.deepEqual(back.value, { ...m }) // fast-check builds null-prototype records
    }),
    { numRuns: 500 },
  )
})

test('chord codec: random and mutated bytes decode to a value or an error, never a throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1600 }), (bytes) => {
      const r = codec.decode(bytes)
      if (r.ok) assert.deepEqual(codec.decode(codec.encode(r.value)), r)
    }),
    { numRuns: 2000 },
  )
  fc.assert(
    fc.property(message, fc.nat(), fc.nat(255), (m, at, byte) => {
      const bytes = codec.encode(m)
      bytes[at % bytes.length] = byte
      codec.decode(bytes)
      codec.decode(bytes.subarray(0, at % bytes.length))
    }),
    { numRuns: 1000 },
  )
})

test('chord codec: hard limits and ranges are refused with a reason', () => {
  const small = chordCodec(new Ring(4))
  // A 4-bit ring's ids fit one byte; 16 and above are out of range.
  const ping = small.encode({ type: 'ping', tid: 1, sender: 15n })
  ping[6] = 16
  assert.deepEqual(small.decode(ping), { ok: false, error: 'id_out_of_range' })
  assert.deepEqual(codec.decode(new Uint8Array(DATAGRAM_BYTES_MAX + 1)), {
    ok: false,
    error: 'too_long',
  })
  assert.deepEqual(codec.decode(new Uint8Array([0x00])), { ok: false, error: 'bad_magic' })
  assert.deepEqual(codec.decode(new Uint8Array([0xc4, 99, 0, 0, 0, 1])), {
    ok: false,
    error: 'unknown_type',
  })
  const found = codec.encode({ type: 'found', tid: 1, sender: 1n, successors: [] })
  found[found.length - 1] = NODES_MAX + 1
  assert.deepEqual(codec.decode(found), { ok: false, error: 'too_many_nodes' })
  const store = codec.encode({
    type: 'store',
    tid: 1,
    sender: 1n,
    key: 2n,
    value: new Uint8Array(2),
  })
  const long = Uint8Array.from([...store.subarray(0, store.length - 4), 0x04, 0x01])
  assert.deepEqual(codec.decode(long), { ok: false, error: 'value_too_long' })
  assert.deepEqual(codec.decode(Uint8Array.from([...store, 0])), {
    ok: false,
    error: 'trailing_bytes',
  })
  assert.throws(() =>
    codec.encode({
      type: 'store',
      tid: 1,
      sender: 1n,
      key: 2n,
      value: new Uint8Array(VALUE_BYTES_MAX + 1),
    }),
  )
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { utf8 } from '../../core/bytes.js'
import { decode, dictOf, encode } from '../../core/codec/bencode.js'
import { readCompactPeer, type IpFamily } from '../../core/compact-peers.js'
import type { Id160 } from '../../core/id.js'
import { decodeKrpc, decodeKrpcGeneric, encodeKrpc } from './krpc-codec.js'
import { decodeKrpcFast } from './krpc-decode-fast.js'
import type { KrpcMessage, KrpcQuery } from './messages.js'

const id = (fill: number): Id160 => new Uint8Array(20).fill(fill) as Id160
const t = Uint8Array.of(1, 2)

const roundTrip = (message: KrpcMessage): void => {
  const decoded = decodeKrpc(encodeKrpc(message))
  assert.ok(decoded.ok, JSON.stringify(decoded))
  assert.deepEqual(decoded.value, message)
}

test('queries round trip', () => {
  const base = { type: 'query' as const, t, id: id(1), readOnly: false }
  roundTrip({ ...base, query: { method: 'ping' } })
  roundTrip({ ...base, readOnly: true, query: { method: 'find_node', target: id(2) } })
  roundTrip({ ...base, version: utf8('PX01'), query: { method: 'get_peers', infoHash: id(3) } })
  roundTrip({
    ...base,
    query: {
      method: 'announce_peer',
      infoHash: id(3),
      port: 6881,
      token: Uint8Array.of(9, 9),
      impliedPort: true,
    },
  })
  roundTrip({ ...base, query: { method: 'get', target: id(4), seq: 7 } })
  roundTrip({
    ...base,
    query: {
      method: 'put',
      token: Uint8Array.of(1),
      value: utf8('Hello'),
      k: new Uint8Array(32).fill(5),
      sig: new Uint8Array(64).fill(6),
      seq: 3,
      salt: utf8('foobar'),
      cas: 2,
    },
  })
  roundTrip({ ...base, query: { method: 'unknown', name: 'vote' } })
})

test('responses and errors round trip, with compact nodes, values and ip', () => {
  roundTrip({
    type: 'response',
    t,
    ip: { host: '1.2.3.4', port: 6881 },
    body: {
      id: id(1),
      nodes: [
        { id: id(2), address: { host: '5.6.7.8', port: 1 } },
        { id: id(3), address: { host: '9.9.9.9', port: 65535 } },
      ],
      nodes6: [{ id: id(4), address: { host: '2001:db8::1', port: 80 } }],
      values: [
        { host: '10.0.0.1', port: 2 },
        { host: '::1', port: 3 },
      ],
      token: Uint8Array.of(7),
    },
  })
  roundTrip({
    type: 'response',
    t,
    body: { id: id(1), value: utf8('x'), k: new Uint8Array(32), sig: new Uint8Array(64), seq: 1 },
  })
  roundTrip({ type: 'error', t, code: 203, message: 'bad token' })
})

test('a response from a real client with unsorted keys decodes', () => {
  // Hand-built: "y" before "t", and "r" last.
  const raw = utf8('d1:y1:r1:t2:aa1:rd2:id20:aaaaaaaaaaaaaaaaaaaaee')
  const decoded = decodeKrpc(raw)
  assert.ok(decoded.ok)
  assert.equal(decoded.value.type, 'response')
})

test('malformed messages are typed errors', () => {
  const cases: [Uint8Array, string, string?][] = [
    [utf8('garbage'), 'not_bencode'],
    [utf8('li1ee'), 'not_a_dict'],
    [encode(dictOf({ y: 'q' })), 'missing_field', 't'],
    [encode(dictOf({ t: 'aa', y: 'x' })), 'bad_field', 'y'],
    [encode(dictOf({ t: 'aa', y: 'q', q: 'ping' })), 'missing_field', 'a'],
    [encode(dictOf({ t: 'aa', y: 'q', q: 'ping', a: dictOf({ id: 'short' }) })), 'bad_field', 'id'],
    [encode(dictOf({ t: 'aa', y: 'q', q: 'ping', a: dictOf({ id: 5 }) })), 'bad_field', 'id'],
    [encode(dictOf({ t: new Uint8Array(40), y: 'q' })), 'too_large', 't'],
    [
      encode(dictOf({ t: 'aa', y: 'r', r: dictOf({ id: id(1), nodes: new Uint8Array(27) }) })),
      'bad_compact_length',
      'nodes',
    ],
    [
      encode(dictOf({ t: 'aa', y: 'r', r: dictOf({ id: id(1), values: [new Uint8Array(5)] }) })),
      'bad_compact_length',
      'values',
    ],
    [
      encode(dictOf({ t: 'aa', y: 'r', r: dictOf({ id: id(1) }), ip: 'abc' })),
      'bad_compact_length',
    ],
    [encode(dictOf({ t: 'aa', y: 'e', e: ['x', 1] })), 'bad_field', 'e'],
    [
      encode(
        dictOf({
          t: 'aa',
          y: 'q',
          q: 'announce_peer',
          a: dictOf({ id: id(1), info_hash: id(2), token: 'x', port: 70000 }),
        }),
      ),
      'bad_field',
      'port',
    ],
    [
      encode(
        dictOf({
          t: 'aa',
          y: 'q',
          q: 'put',
          a: dictOf({ id: id(1), token: 'x', v: 'x', k: new Uint8Array(31) }),
        }),
      ),
      'bad_field',
      'k',
    ],
  ]
  for (const [bytes, code, field] of cases) {
    const decoded = decodeKrpc(bytes)
    assert.equal(decoded.ok, false, `${code} ${field}`)
    if (!decoded.ok) {
      assert.equal(decoded.error.code, code, `${code} ${field}`)
      if (field !== undefined) assert.equal(decoded.error.field, field)
    }
  }
})

test('an error carries the transaction id so a server can answer 203', () => {
  const decoded = decodeKrpc(encode(dictOf({ t: 'zz', y: 'q', q: 'ping', a: dictOf({}) })))
  assert.ok(!decoded.ok)
  assert.deepEqual(decoded.error.t, utf8('zz'))
})

test('decode never throws on arbitrary bytes or mutated messages', () => {
  const valid = encodeKrpc({
    type: 'response',
    t,
    body: { id: id(1), nodes: [{ id: id(2), address: { host: '5.6.7.8', port: 1 } }] },
  })
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      decodeKrpc(bytes)
    }),
  )
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
        maxLength: 4,
      }),
      (edits) => {
        const bytes = valid.slice()
        for (const [at, value] of edits) bytes[at] = value
        decodeKrpc(bytes)
      },
    ),
  )
})

test('round trip holds for arbitrary find_node queries and node lists', () => {
  const idArb = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => b as Id160)
  const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'))
  const node = fc.record({
    id: idArb,
    address: fc.record({ host: ipv4, port: fc.integer({ min: 0, max: 65535 }) }),
  })
  fc.assert(
    fc.property(idArb, fc.array(node, { maxLength: 8 }), (target, nodes) => {
      const q: KrpcMessage = {
        type: 'query',
        t,
        id: target,
        readOnly: false,
        query: { method: 'find_node', target },
      }
      const decodedQ = decodeKrpc(encodeKrpc(q))
      assert.ok(decodedQ.ok)
      const r: KrpcMessage = { type: 'response', t, body: { id: target, nodes } }
      const decodedR = decodeKrpc(encodeKrpc(r))
      assert.ok(decodedR.ok && decodedR.value.type === 'response')
      assert.deepEqual(
        decodedR.value.body.nodes?.map((n) => [Array.from(n.id), n.address.host, n.address.port]),
        nodes.map((n) => [Array.from(n.id), n.address.host, n.address.port]),
      )
    }),
  )
})

test('BEP 32: want, nodes6 and 18-byte IPv6 values round trip for arbitrary input', () => {
  const idArb = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => b as Id160)
  const peerOf = (family: IpFamily) =>
    fc
      .uint8Array({ minLength: family === 'ipv4' ? 6 : 18, maxLength: family === 'ipv4' ? 6 : 18 })
      .map((bytes) => readCompactPeer(bytes, 0, family))
  const nodeOf = (family: IpFamily) =>
    fc.tuple(idArb, peerOf(family)).map(([nodeId, address]) => ({ id: nodeId, address }))
  fc.assert(
    fc.property(
      idArb,
      fc.tuple(fc.boolean(), fc.boolean()).map(([n4, n6]) => ({ n4, n6 })),
      fc.array(nodeOf('ipv4'), { maxLength: 8 }),
      fc.array(nodeOf('ipv6'), { minLength: 1, maxLength: 8 }),
      fc.array(fc.oneof(peerOf('ipv4'), peerOf('ipv6')), { maxLength: 20 }),
      (target, want, nodes, nodes6, values) => {
        roundTrip({
          type: 'query',
          t,
          id: target,
          readOnly: false,
          query: { method: 'get_peers', infoHash: target, want },
        })
        const r = decodeKrpc(
          encodeKrpc({ type: 'response', t, body: { id: target, nodes, nodes6, values } }),
        )
        assert.ok(r.ok && r.value.type === 'response')
        assert.deepEqual(r.value.body.nodes ?? [], nodes)
        assert.deepEqual(r.value.body.nodes6, nodes6)
        assert.deepEqual(r.value.body.values ?? [], values)
      },
    ),
  )
})

test('BEP 32: a nodes6 string of a length other than a multiple of 38 is refused, not thrown', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (raw) => {
      const bytes = encode(dictOf({ t: 'aa', y: 'r', r: dictOf({ id: id(1), nodes6: raw }) }))
      const decoded = decodeKrpc(bytes)
      assert.equal(decoded.ok, raw.length % 38 === 0)
    }),
  )
})

test('the encoder writes canonical bencode: keys sorted, every optional field in place', () => {
  const base = { type: 'query' as const, t, id: id(1), version: utf8('PX01') }
  const messages: KrpcMessage[] = [
    { ...base, readOnly: true, query: { method: 'ping' } },
    {
      ...base,
      readOnly: false,
      query: {
        method: 'get_peers',
        infoHash: id(3),
        want: { n4: true, n6: true },
        scrape: true,
        noseed: true,
      },
    },
    {
      ...base,
      readOnly: false,
      query: { method: 'find_node', target: id(2), want: { n4: false, n6: true } },
    },
    {
      ...base,
      readOnly: false,
      query: {
        method: 'announce_peer',
        infoHash: id(3),
        port: 1,
        token: Uint8Array.of(9),
        impliedPort: true,
        seed: true,
      },
    },
    { ...base, readOnly: false, query: { method: 'sample_infohashes', target: id(5) } },
    {
      ...base,
      readOnly: false,
      query: {
        method: 'put',
        token: Uint8Array.of(1),
        value: [1, utf8('x'), new Map([['a', 2]])],
        k: new Uint8Array(32).fill(5),
        sig: new Uint8Array(64).fill(6),
        seq: 3,
        salt: utf8('s'),
        cas: 2,
      },
    },
    { ...base, readOnly: false, query: { method: 'unknown', name: 'vöte' } },
    {
      type: 'response',
      t,
      version: utf8('PX01'),
      ip: { host: '::1', port: 9 },
      body: {
        id: id(1),
        nodes: [{ id: id(4), address: { host: '2001:db8::1', port: 80 } }],
        nodes6: [{ id: id(2), address: { host: '5.6.7.8', port: 1 } }],
        values: [{ host: '10.0.0.1', port: 2 }],
        token: Uint8Array.of(7),
        value: 5,
        k: new Uint8Array(32),
        sig: new Uint8Array(64),
        seq: 1,
        bfsd: new Uint8Array(256).fill(1),
        bfpe: new Uint8Array(256).fill(2),
        interval: 21600,
        num: 3,
        samples: [id(7), id(8)],
      },
    },
    { type: 'response', t, body: { id: id(1), nodes: [] } },
    { type: 'error', t, ip: { host: '1.2.3.4', port: 5 }, code: 203, message: 'bäd' },
  ]
  for (const message of messages) {
    const bytes = encodeKrpc(message)
    const strict = decode(bytes)
    assert.ok(strict.ok, `${message.type}: ${JSON.stringify(strict)}`)
    assert.deepEqual(encode(strict.value), bytes, 'the generic encoder writes the same bytes')
    assert.ok(decodeKrpc(bytes).ok)
  }
  // Nodes filed under the other family's key go where their address belongs.
  const misfiled = decodeKrpc(encodeKrpc(messages[7] as KrpcMessage))
  assert.ok(misfiled.ok && misfiled.value.type === 'response')
  assert.equal(misfiled.value.body.nodes?.[0]?.address.host, '5.6.7.8')
  assert.equal(misfiled.value.body.nodes6?.[0]?.address.host, '2001:db8::1')
})

test('the fast path decodes the common messages exactly as the generic path, and nothing it refuses', () => {
  const idArb = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => b as Id160)
  const bytesArb = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max })
  const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'))
  const address = fc.record({ host: ipv4, port: fc.integer({ min: 0, max: 65535 }) })
  const nodeArb = fc.record({ id: idArb, address })
  const envelope = fc.record({ t: bytesArb(4), version: bytesArb(4) }, { requiredKeys: ['t'] })
  const query = fc.oneof(
    fc.constant<KrpcQuery>({ method: 'ping' }),
    idArb.map((target): KrpcQuery => ({ method: 'find_node', target })),
    idArb.map((infoHash): KrpcQuery => ({ method: 'get_peers', infoHash })),
  )
  const queryMessage = fc
    .tuple(envelope, idArb, fc.boolean(), query)
    .map(([e, nodeId, readOnly, q]): KrpcMessage => ({
      type: 'query',
      ...e,
      id: nodeId,
      readOnly,
      query: q,
    }))
  const responseMessage = fc
    .tuple(
      envelope,
      fc.option(address, { nil: undefined }),
      idArb,
      fc.option(fc.array(nodeArb, { maxLength: 8 }), { nil: undefined }),
      fc.option(bytesArb(8), { nil: undefined }),
    )
    .map(([e, ip, nodeId, nodes, token]): KrpcMessage => ({
      type: 'response',
      ...e,
      ...(ip === undefined ? {} : { ip }),
      body: {
        id: nodeId,
        ...(nodes === undefined ? {} : { nodes }),
        ...(token === undefined ? {} : { token }),
      },
    }))
  const message = fc.oneof(queryMessage, responseMessage)
  fc.assert(
    fc.property(message, (m) => {
      const bytes = encodeKrpc(m)
      const fast = decodeKrpcFast(bytes)
      assert.ok(fast !== undefined, 'the fast path takes the common shapes')
      const generic = decodeKrpcGeneric(bytes)
      assert.ok(generic.ok)
      assert.deepEqual(fast, generic.value)
    }),
  )
  const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
    minLength: 1,
    maxLength: 3,
  })
  fc.assert(
    fc.property(message, mutation, fc.nat(8), (m, changes, cut) => {
      const bytes = encodeKrpc(m)
      for (const [at, value] of changes) bytes[at % bytes.length] = value
      const input = cut === 0 ? bytes : bytes.subarray(0, Math.max(0, bytes.length - cut))
      const fast = decodeKrpcFast(input)
      if (fast === undefined) return
      const generic = decodeKrpcGeneric(input)
      assert.ok(
        generic.ok,
        `fast path accepted what the generic path refuses: ${JSON.stringify(generic)}`,
      )
      assert.deepEqual(fast, generic.value)
    }),
    { numRuns: 3000 },
  )
})

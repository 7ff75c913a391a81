import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import zlib from 'node:zlib'
import { test } from 'node:test'
import fc from 'fast-check'
import { fromHex, toHex, utf8 } from '../../core/bytes.js'
import type { StunAttribute } from './attributes.js'
import { decodeStun, encodeStun, findAttribute, isStunMessage, verifyIntegrity } from './codec.js'
import type { DecodedStun, StunMessage } from './codec.js'
import { StunMethod } from './constants.js'
import { longTermKey, saslPrep, shortTermKey } from './credentials.js'

const hex = (text: string): Uint8Array => {
  const bytes = fromHex(text.replace(/\s+/g, ''))
  assert.ok(bytes)
  return bytes
}

// RFC 5769 (test vectors for STUN), sections 2.1 to 2.4, as printed.
const SAMPLE_REQUEST = hex(`
  00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
  00 24 00 04 6e 00 01 ff
  80 29 00 08 93 2f f9 b1 51 26 3b 36
  00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
  00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
  80 28 00 04 e5 7a 3b cf`)
const SAMPLE_IPV4_RESPONSE = hex(`
  01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 08 00 01 a1 47 e1 12 a6 43
  00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
  80 28 00 04 c0 7d 4c 96`)
const SAMPLE_IPV6_RESPONSE = hex(`
  01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
  00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
  80 28 00 04 c8 fb 0b 4c`)
const SAMPLE_LONG_TERM_REQUEST = hex(`
  00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
  00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
  00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
  00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
  00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66`)
const SHORT_TERM_PASSWORD = 'VOkJxbRl1RmTxUk/WvJxBt'
const VECTOR_TID = hex('b7 e7 a7 01 bc 34 d6 86 fa 87 df ae')

const decoded = (bytes: Uint8Array): DecodedStun => {
  const result = decodeStun(bytes)
  assert.ok(result.ok, JSON.stringify(!result.ok && result.error))
  return result.value
}

/** The vectors pad SOFTWARE and USERNAME with spaces, so only integrity-free parts re-encode. */
test('RFC 5769 2.1: sample request decodes, its integrity and fingerprint check', () => {
  const message = decoded(SAMPLE_REQUEST)
  assert.equal(message.method, StunMethod.Binding)
  assert.equal(message.messageClass, 'request')
  assert.deepEqual(message.transactionId, VECTOR_TID)
  assert.deepEqual(message.attributes, [
    { type: 'software', value: 'STUN test client' },
    { type: 'priority', priority: 0x6e0001ff },
    { type: 'ice-controlled', tieBreaker: 0x932ff9b151263b36n },
    { type: 'username', value: 'evtj:h6vY' },
  ])
  assert.equal(message.fingerprint, true)
  assert.equal(verifyIntegrity(message, shortTermKey(SHORT_TERM_PASSWORD)), true)
  assert.equal(verifyIntegrity(message, shortTermKey('wrong')), false)
  // Re-encoded with our zero padding, the integrity and fingerprint differ only by the padding.
  const again = encodeStun(message, {
    integrity: shortTermKey(SHORT_TERM_PASSWORD),
    fingerprint: true,
  })
  assert.equal(again.length, SAMPLE_REQUEST.length)
  assert.equal(verifyIntegrity(decoded(again), shortTermKey(SHORT_TERM_PASSWORD)), true)
})

test('RFC 5769 2.2 and 2.3: IPv4 and IPv6 responses, byte for byte', () => {
  const v4 = decoded(SAMPLE_IPV4_RESPONSE)
  assert.equal(v4.messageClass, 'success')
  assert.deepEqual(findAttribute(v4, 'xor-mapped-address')?.address, {
    host: '192.0.2.1',
    port: 32853,
  })
  assert.equal(verifyIntegrity(v4, shortTermKey(SHORT_TERM_PASSWORD)), true)
  const v6 = decoded(SAMPLE_IPV6_RESPONSE)
  assert.deepEqual(findAttribute(v6, 'xor-mapped-address')?.address, {
    host: '2001:db8:1234:5678:11:2233:4455:6677',
    port: 32853,
  })
  assert.equal(verifyIntegrity(v6, shortTermKey(SHORT_TERM_PASSWORD)), true)
  // SOFTWARE "test vector" is 11 bytes: the vector pads it with one 0x20, we with 0x00. Up to
  // that byte and in the XOR address the encodings agree exactly; the MAC and CRC that follow
  // are checked against node's own HMAC-SHA1 and CRC-32.
  for (const [vector, message] of [
    [SAMPLE_IPV4_RESPONSE, v4],
    [SAMPLE_IPV6_RESPONSE, v6],
  ] as const) {
    const key = shortTermKey(SHORT_TERM_PASSWORD)
    const ours = encodeStun(message, { integrity: key, fingerprint: true })
    assert.equal(ours.length, vector.length)
    const expected = vector.slice()
    expected[35] = 0
    const macAt = ours.length - 8 - 24
    assert.equal(toHex(ours.subarray(0, macAt)), toHex(expected.subarray(0, macAt)))
    const macInput = ours.slice(0, macAt)
    macInput[3] = macAt + 24 - 20
    assert.equal(
      toHex(ours.subarray(macAt + 4, macAt + 24)),
      createHmac('sha1', key).update(macInput).digest('hex'),
    )
    const crc = (zlib.crc32(ours.subarray(0, ours.length - 8)) ^ 0x5354554e) >>> 0
    assert.equal(toHex(ours.subarray(ours.length - 4)), crc.toString(16).padStart(8, '0'))
  }
})

test('RFC 5769 2.4: long-term credentials, SASLprep, and the request re-encodes byte for byte', () => {
  const message = decoded(SAMPLE_LONG_TERM_REQUEST)
  assert.deepEqual(message.attributes, [
    { type: 'username', value: '\u30de\u30c8\u30ea\u30c3\u30af\u30b9' },
    { type: 'nonce', value: 'f//499k954d6OL34oL9FSTvy64sA' },
    { type: 'realm', value: 'example.org' },
  ])
  assert.equal(message.fingerprint, false)
  assert.equal(saslPrep('The\u00adM\u00aatr\u2168'), 'TheMatrIX')
  const key = longTermKey(
    '\u30de\u30c8\u30ea\u30c3\u30af\u30b9',
    'example.org',
    'The\u00adM\u00aatr\u2168',
  )
  assert.deepEqual(
    key,
    longTermKey('\u30de\u30c8\u30ea\u30c3\u30af\u30b9', 'example.org', 'TheMatrIX'),
  )
  assert.equal(verifyIntegrity(message, key), true)
  assert.equal(toHex(encodeStun(message, { integrity: key })), toHex(SAMPLE_LONG_TERM_REQUEST))
})

test('method and class bits land where RFC 8489 figure 3 puts them', () => {
  const tid = new Uint8Array(12)
  const typeOf = (method: number, messageClass: StunMessage['messageClass']): string =>
    toHex(encodeStun({ method, messageClass, transactionId: tid, attributes: [] }).subarray(0, 2))
  assert.equal(typeOf(StunMethod.Binding, 'request'), '0001')
  assert.equal(typeOf(StunMethod.Binding, 'indication'), '0011')
  assert.equal(typeOf(StunMethod.Binding, 'success'), '0101')
  assert.equal(typeOf(StunMethod.Binding, 'error'), '0111')
  assert.equal(typeOf(StunMethod.Allocate, 'error'), '0113')
  assert.equal(typeOf(StunMethod.Send, 'indication'), '0016')
  assert.equal(typeOf(StunMethod.Data, 'indication'), '0017')
  assert.equal(typeOf(0xfff, 'error'), '3fff')
})

// --- properties ---------------------------------------------------------------------------------

const ipv4 = fc.ipV4()
const ipv6 = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 })
  .map((groups) => groups.map((g) => g.toString(16)).join(':'))
  .map((text) => {
    // Canonicalise through the codec's own IPv6 writer: decode(encode) must be stable.
    const bytes = new Uint8Array(20)
    bytes[1] = 2
    text.split(':').forEach((g, i) => {
      const v = parseInt(g, 16)
      bytes[4 + i * 2] = v >> 8
      bytes[5 + i * 2] = v & 0xff
    })
    return bytes
  })
// IPv6 hosts have their own test below (their text form is canonicalised on decode).
const address = fc.record({ host: ipv4, port: fc.integer({ min: 0, max: 0xffff }) })
const text = (maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: 'grapheme', maxLength }).filter((s) => utf8(s).length <= maxLength * 4)
const errorCode = fc.integer({ min: 300, max: 699 })

const attribute: fc.Arbitrary<StunAttribute> = fc.oneof(
  address.map((a) => ({ type: 'mapped-address' as const, address: a })),
  address.map((a) => ({ type: 'xor-mapped-address' as const, address: a })),
  address.map((a) => ({ type: 'xor-peer-address' as const, address: a })),
  address.map((a) => ({ type: 'xor-relayed-address' as const, address: a })),
  address.map((a) => ({ type: 'other-address' as const, address: a })),
  address.map((a) => ({ type: 'response-origin' as const, address: a })),
  address.map((a) => ({ type: 'alternate-server' as const, address: a })),
  text(100).map((v) => ({ type: 'username' as const, value: v })),
  text(100).map((v) => ({ type: 'realm' as const, value: v })),
  text(100).map((v) => ({ type: 'nonce' as const, value: v })),
  text(100).map((v) => ({ type: 'software' as const, value: v })),
  fc.record({ type: fc.constant('error-code' as const), code: errorCode, reason: text(40) }),
  fc
    .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 8 })
    .map((types) => ({ type: 'unknown-attributes' as const, types })),
  fc.record({
    type: fc.constant('change-request' as const),
    changeIp: fc.boolean(),
    changePort: fc.boolean(),
  }),
  fc.integer({ min: 0, max: 0xffff }).map((port) => ({ type: 'response-port' as const, port })),
  fc.integer({ min: 0, max: 600 }).map((length) => ({ type: 'padding' as const, length })),
  fc
    .integer({ min: 0x4000, max: 0x4fff })
    .map((channel) => ({ type: 'channel-number' as const, channel })),
  fc.nat({ max: 0xffffffff }).map((seconds) => ({ type: 'lifetime' as const, seconds })),
  fc.uint8Array({ maxLength: 300 }).map((value) => ({ type: 'data' as const, value })),
  fc
    .constantFrom(4 as const, 6 as const)
    .map((family) => ({ type: 'requested-address-family' as const, family })),
  fc.boolean().map((reserve) => ({ type: 'even-port' as const, reserve })),
  fc.constant({ type: 'requested-transport' as const, protocol: 17 }),
  fc.constant({ type: 'dont-fragment' as const }),
  fc
    .uint8Array({ minLength: 8, maxLength: 8 })
    .map((token) => ({ type: 'reservation-token' as const, token })),
  fc.nat({ max: 0xffffffff }).map((priority) => ({ type: 'priority' as const, priority })),
  fc.constant({ type: 'use-candidate' as const }),
  fc
    .bigInt({ min: 0n, max: 2n ** 64n - 1n })
    .map((tieBreaker) => ({ type: 'ice-controlling' as const, tieBreaker })),
  fc
    .bigInt({ min: 0n, max: 2n ** 64n - 1n })
    .map((tieBreaker) => ({ type: 'ice-controlled' as const, tieBreaker })),
  fc
    .record({
      code: fc.integer({ min: 0xc000, max: 0xffff }),
      value: fc.uint8Array({ maxLength: 40 }),
    })
    .map(({ code, value }) => ({ type: 'unknown' as const, code, value })),
)

const message: fc.Arbitrary<StunMessage> = fc.record({
  method: fc.integer({ min: 0, max: 0xfff }),
  messageClass: fc.constantFrom(
    'request' as const,
    'indication' as const,
    'success' as const,
    'error' as const,
  ),
  transactionId: fc.uint8Array({ minLength: 12, maxLength: 12 }),
  attributes: fc.array(attribute, { maxLength: 12 }),
})

const plain = (value: unknown): unknown =>
  JSON.parse(
    JSON.stringify(value, (_, v: unknown) =>
      typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? toHex(v) : v,
    ),
  )

test('round trip: decode(encode(m)) gives m back, with integrity and fingerprint verified', () => {
  fc.assert(
    fc.property(
      message,
      fc.option(fc.uint8Array({ minLength: 1, maxLength: 80 }), { nil: undefined }),
      fc.option(fc.uint8Array({ minLength: 1, maxLength: 80 }), { nil: undefined }),
      fc.boolean(),
      (m, integrity, integritySha256, fingerprint) => {
        const bytes = encodeStun(m, {
          ...(integrity === undefined ? {} : { integrity }),
          ...(integritySha256 === undefined ? {} : { integritySha256 }),
          fingerprint,
        })
        assert.equal(isStunMessage(bytes), true)
        const back = decoded(bytes)
        assert.equal(back.method, m.method)
        assert.equal(back.messageClass, m.messageClass)
        assert.deepEqual(plain(back.attributes), plain(m.attributes))
        assert.equal(back.fingerprint, fingerprint)
        const key = integritySha256 ?? integrity
        if (key !== undefined) {
          assert.equal(verifyIntegrity(back, key), true)
          assert.equal(verifyIntegrity(back, new Uint8Array([...key, 1])), false)
        }
      },
    ),
    { numRuns: 300 },
  )
})

test('IPv6 addresses in (XOR-)address attributes survive the round trip', () => {
  fc.assert(
    fc.property(ipv6, fc.uint8Array({ minLength: 12, maxLength: 12 }), (raw, transactionId) => {
      const m = decoded(
        encodeStun({
          method: 1,
          messageClass: 'success',
          transactionId,
          attributes: [{ type: 'unknown', code: 0x0001, value: raw }],
        }),
      )
      const first = m.attributes[0]
      assert.ok(first?.type === 'mapped-address')
      const again = decoded(
        encodeStun({
          method: 1,
          messageClass: 'success',
          transactionId,
          attributes: [
            { type: 'xor-mapped-address', address: first.address },
            { type: 'mapped-address', address: first.address },
          ],
        }),
      )
      assert.deepEqual(findAttribute(again, 'xor-mapped-address')?.address, first.address)
      assert.equal(toHex(again.bytes.subarray(48, 68)), toHex(raw))
    }),
  )
})

test('hostile input: decode never throws, on noise and on mutated valid messages', () => {
  const seeds = [
    SAMPLE_REQUEST,
    SAMPLE_IPV4_RESPONSE,
    SAMPLE_IPV6_RESPONSE,
    SAMPLE_LONG_TERM_REQUEST,
  ]
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const result = decodeStun(bytes)
      if (result.ok) verifyIntegrity(result.value, new Uint8Array(4))
    }),
    { numRuns: 2000 },
  )
  fc.assert(
    fc.property(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 6,
      }),
      fc.nat(),
      (seed, flips, cut) => {
        const bytes = seed.slice(0, Math.max(20, seed.length - (cut % 8)))
        for (const [at, value] of flips) bytes[at % bytes.length] = value
        const result = decodeStun(bytes)
        if (result.ok) verifyIntegrity(result.value, new Uint8Array(4))
      },
    ),
    { numRuns: 3000 },
  )
})

test('malformed framing is refused with a typed error', () => {
  const good = encodeStun(
    {
      method: 1,
      messageClass: 'request',
      transactionId: VECTOR_TID,
      attributes: [{ type: 'software', value: 'abc' }],
    },
    { fingerprint: true },
  )
  const mutate = (change: (b: Uint8Array) => void): Uint8Array => {
    const copy = good.slice()
    change(copy)
    return copy
  }
  const code = (bytes: Uint8Array): string => {
    const r = decodeStun(bytes)
    return r.ok ? 'ok' : r.error.code
  }
  assert.equal(code(good), 'ok')
  assert.equal(code(good.subarray(0, 19)), 'short')
  assert.equal(code(mutate((b) => (b[0] = 0x80))), 'not_stun')
  assert.equal(code(mutate((b) => (b[4] = 0))), 'not_stun')
  assert.equal(code(mutate((b) => (b[3] = (b[3] as number) + 2))), 'bad_length')
  assert.equal(code(good.subarray(0, good.length - 4)), 'bad_length')
  assert.equal(code(mutate((b) => (b[23] = 40))), 'truncated_attribute')
  assert.equal(code(mutate((b) => (b[24] = 0x7a))), 'bad_fingerprint')
  // A known attribute with a malformed value: XOR-MAPPED-ADDRESS of family 3.
  const badFamily = encodeStun({
    method: 1,
    messageClass: 'success',
    transactionId: VECTOR_TID,
    attributes: [
      { type: 'unknown', code: 0x0020, value: new Uint8Array([0, 3, 0, 0, 1, 2, 3, 4]) },
    ],
  })
  const result = decodeStun(badFamily)
  assert.ok(!result.ok && result.error.code === 'bad_attribute' && result.error.type === 0x0020)
  // Unknown comprehension-required attributes are reported for a 420.
  const unknown = decoded(
    encodeStun({
      method: 1,
      messageClass: 'request',
      transactionId: VECTOR_TID,
      attributes: [
        { type: 'unknown', code: 0x0033, value: new Uint8Array(1) },
        { type: 'unknown', code: 0x8033, value: new Uint8Array(1) },
      ],
    }),
  )
  assert.deepEqual(unknown.unknownRequired, [0x0033])
})

test('attributes after MESSAGE-INTEGRITY are ignored and cannot be forged in', () => {
  const key = utf8('secret')
  const signed = encodeStun(
    {
      method: 3,
      messageClass: 'request',
      transactionId: VECTOR_TID,
      attributes: [{ type: 'lifetime', seconds: 600 }],
    },
    { integrity: key },
  )
  const extra = hex('00 0d 00 04 00 00 00 00') // LIFETIME 0 appended after the MAC
  const forged = new Uint8Array(signed.length + extra.length)
  forged.set(signed)
  forged.set(extra, signed.length)
  forged[3] = forged.length - 20
  const message = decoded(forged)
  assert.deepEqual(message.attributes, [{ type: 'lifetime', seconds: 600 }])
  assert.equal(verifyIntegrity(message, key), true)
})

test('SASLprep maps spaces and soft hyphens, refuses control characters', () => {
  assert.equal(saslPrep('I\u00adX'), 'IX')
  assert.equal(saslPrep('user\u00a0name'), 'user name')
  assert.equal(saslPrep('\u2168'), 'IX')
  assert.equal(saslPrep('a\u0007b'), undefined)
  assert.equal(saslPrep('plain'), 'plain')
})

test('a Node Buffer input (whose slice is a view) decodes, verifies and is left unchanged', () => {
  const key = utf8('pw')
  const bytes = encodeStun(
    {
      method: StunMethod.Binding,
      messageClass: 'success',
      transactionId: VECTOR_TID,
      attributes: [
        { type: 'xor-mapped-address', address: { host: '192.0.2.1', port: 32853 } },
        { type: 'xor-mapped-address', address: { host: '2001:db8::1', port: 1 } },
      ],
    },
    { integrity: key, fingerprint: true },
  )
  const buffer = Buffer.concat([Buffer.alloc(3), Buffer.from(bytes)]).subarray(3)
  const before = Buffer.from(buffer)
  const message = decoded(buffer)
  assert.equal(verifyIntegrity(message, key), true)
  assert.deepEqual(findAttribute(message, 'xor-mapped-address')?.address, {
    host: '192.0.2.1',
    port: 32853,
  })
  assert.ok(before.equals(buffer))
  assert.ok(decodeStun(buffer).ok, 'decoding twice still passes the fingerprint')
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { fromHex, toHex } from '../../core/bytes.js'
import { decodeDescriptor, encodeDescriptor, HEADER_BYTES } from './descriptor-codec.js'
import { FrameReader } from './frame-reader.js'
import { NEED_DATA } from '../../core/core.js'
import { sha1OfUrn, sha1Urn } from './base32.js'
import { decodeGgep, encodeGgep, ggepSha1 } from './ggep.js'
import type { Descriptor, GgepExtension, Payload } from './messages.js'
import { isFirewalled, queryHitTrailer } from './push-flag.js'

const guid = fc.uint8Array({ minLength: 16, maxLength: 16 })
const byte = fc.integer({ min: 0, max: 255 })
const u16 = fc.integer({ min: 0, max: 0xffff })
const u32 = fc.integer({ min: 0, max: 0xffffffff })
const ip = fc.tuple(byte, byte, byte, byte).map((p) => p.join('.'))
const text = fc.string({ maxLength: 40 }).map((s) => s.replace(/\0/g, ''))
const ggepExt = (noNul: boolean): fc.Arbitrary<GgepExtension> =>
  fc.record({
    id: fc.stringMatching(/^[A-Za-z0-9]{1,15}$/),
    data: fc.uint8Array({ maxLength: 80 }).map((d) => (noNul ? d.map((b) => b || 1) : d)),
    encoded: fc.boolean(),
    compressed: fc.boolean(),
  })
const ggepList = (noNul = false): fc.Arbitrary<GgepExtension[]> =>
  fc.array(ggepExt(noNul), { maxLength: 3 })
const urn = fc.uint8Array({ minLength: 20, maxLength: 20 }).map(sha1Urn)
const result = fc.record({
  fileIndex: u32,
  fileSize: u32,
  fileName: text,
  urns: fc.array(urn, { maxLength: 2 }),
  ggep: ggepList(true),
})

const payload: fc.Arbitrary<Payload> = fc.oneof(
  fc.record({ type: fc.constant('ping' as const), ggep: ggepList() }),
  fc.record({
    type: fc.constant('pong' as const),
    port: u16,
    ip,
    filesShared: u32,
    kilobytesShared: u32,
    ggep: ggepList(),
  }),
  fc.record({ type: fc.constant('bye' as const), code: u16, reason: text }),
  fc.record({
    type: fc.constant('push' as const),
    serventId: guid,
    fileIndex: u32,
    ip,
    port: u16,
    ggep: ggepList(),
  }),
  fc.record({
    type: fc.constant('query' as const),
    minSpeed: u16,
    criteria: text,
    urns: fc.array(urn, { maxLength: 2 }),
    ggep: ggepList(),
  }),
  fc.record({
    type: fc.constant('query_hit' as const),
    port: u16,
    ip,
    speed: u32,
    results: fc.array(result, { maxLength: 4 }),
    trailer: fc.option(
      fc.record({
        vendorCode: fc.stringMatching(/^[A-Z]{4}$/),
        openData: fc.uint8Array({ maxLength: 4 }),
        privateData: fc.uint8Array({ maxLength: 8 }),
      }),
      { nil: undefined },
    ),
    serventId: guid,
  }),
)

const descriptor: fc.Arbitrary<Descriptor> = fc.record({
  guid,
  ttl: byte,
  hops: byte,
  payload,
})

test('descriptor round-trip: decode(encode(d)) == d for every payload type', () => {
  fc.assert(
    fc.property(descriptor, (d) => {
      const decoded = decodeDescriptor(encodeDescriptor(d))
      assert.ok(decoded.ok, JSON.stringify(decoded))
      assert.deepEqual(decoded.value, structuredClone(d))
    }),
    { numRuns: 400 },
  )
})

test('decoding random bytes never throws', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      decodeDescriptor(bytes)
      const reader = new FrameReader(1024)
      reader.push(bytes)
      for (let i = 0; i < 20; i++) {
        const item = reader.next()
        if (!item.ok || item.value === NEED_DATA) break
      }
    }),
    { numRuns: 1000 },
  )
})

test('decoding a mutated valid descriptor never throws', () => {
  fc.assert(
    fc.property(descriptor, fc.nat(), byte, (d, at, value) => {
      const bytes = encodeDescriptor(d)
      const index = HEADER_BYTES + (at % Math.max(1, bytes.length - HEADER_BYTES))
      if (index < bytes.length) bytes[index] = value
      decodeDescriptor(bytes)
    }),
    { numRuns: 500 },
  )
})

test('the header is 23 bytes with a little-endian payload length (QRP appendix RESET)', () => {
  // A RESET for a 65,536-slot table with infinity 7: payload 00 | 00 00 01 00 | 07, six bytes,
  // so the length field reads 06 00 00 00 (little-endian), after function 0x30, TTL 1, hops 0.
  const g = new Uint8Array(16).fill(0xab)
  const bytes = encodeDescriptor({
    guid: g,
    ttl: 1,
    hops: 0,
    payload: {
      type: 'route_table_update',
      update: { variant: 'reset', tableLength: 65536, infinity: 7 },
    },
  })
  assert.equal(
    toHex(bytes.subarray(16)),
    '30' + '01' + '00' + '06000000' + '00' + '00000100' + '07',
  )
})

test('a ping is a bare 23-byte header; a Pong puts the IP in network order', () => {
  const g = new Uint8Array(16)
  const ping = encodeDescriptor({ guid: g, ttl: 7, hops: 0, payload: { type: 'ping', ggep: [] } })
  assert.equal(toHex(ping.subarray(16)), '00070000000000')
  const pong = encodeDescriptor({
    guid: g,
    ttl: 1,
    hops: 0,
    payload: {
      type: 'pong',
      port: 6346,
      ip: '10.1.2.3',
      filesShared: 2,
      kilobytesShared: 300,
      ggep: [],
    },
  })
  // port 6346 = 0x18ca little-endian, 10.1.2.3, files 2 LE, KB 300 = 0x12c LE
  assert.equal(toHex(pong.subarray(23)), 'ca18' + '0a010203' + '02000000' + '2c010000')
})

test('a QueryHit carries the servent id as its last 16 bytes', () => {
  const serventId = fromHex('00112233445566778899aabbccddeeff') as Uint8Array
  const bytes = encodeDescriptor({
    guid: new Uint8Array(16),
    ttl: 3,
    hops: 0,
    payload: {
      type: 'query_hit',
      port: 6346,
      ip: '1.2.3.4',
      speed: 1000,
      results: [{ fileIndex: 1, fileSize: 5, fileName: 'a.mp3', urns: [], ggep: [] }],
      trailer: {
        vendorCode: 'PLEX',
        openData: Uint8Array.of(1, 0),
        privateData: new Uint8Array(0),
      },
      serventId,
    },
  })
  assert.equal(toHex(bytes.subarray(bytes.length - 16)), toHex(serventId))
  // results: count 1, port, ip, speed, index 1, size 5, "a.mp3" NUL NUL
  assert.equal(toHex(bytes.subarray(23, 34)), '01ca1801020304e8030000')
})

test('urn:sha1 travels as HUGE text and as GGEP "H" (0x01 + 20 bytes)', () => {
  const digest = Uint8Array.from({ length: 20 }, (_, i) => i)
  const u = sha1Urn(digest)
  assert.equal(u, 'urn:sha1:AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT')
  assert.deepEqual(sha1OfUrn(u.toLowerCase()), digest)
  const h: GgepExtension = {
    id: 'H',
    data: Uint8Array.of(1, ...digest),
    encoded: false,
    compressed: false,
  }
  const block = decodeGgep(encodeGgep([h]))
  assert.ok(block.ok)
  assert.deepEqual(ggepSha1(block.value.extensions), [digest])
})

test('GGEP: the spec layout, with 1-3 length bytes', () => {
  const one = encodeGgep([{ id: 'DU', data: Uint8Array.of(5), encoded: false, compressed: false }])
  // C3, flags 0x82 (last, id length 2), "DU", length 0x41, data 05
  assert.equal(toHex(one), 'c3' + '82' + '4455' + '41' + '05')
  const big = new Uint8Array(5000)
  const enc = encodeGgep([{ id: 'X', data: big, encoded: false, compressed: false }])
  // 5000 = 0x1388: 6-bit groups 1, 14, 8 -> 0x81 0x8e 0x48
  assert.equal(toHex(enc.subarray(0, 6)), 'c3' + '81' + '58' + '818e48')
  const back = decodeGgep(enc)
  assert.ok(back.ok)
  assert.equal(back.value.extensions[0]?.data.length, 5000)
})

test('bad input is a value: oversize payloads, truncated pongs, unknown functions', () => {
  const g = new Uint8Array(16)
  const pong = encodeDescriptor({
    guid: g,
    ttl: 1,
    hops: 0,
    payload: { type: 'bye', code: 1, reason: '' },
  })
  const truncated = pong.slice()
  truncated[16] = 0x01 // now a Pong of 3 bytes
  const r1 = decodeDescriptor(truncated)
  assert.ok(!r1.ok && r1.error.code === 'malformed')
  const unknown = pong.slice()
  unknown[16] = 0x77
  assert.ok(!decodeDescriptor(unknown).ok)
  const huge = new Uint8Array(23)
  huge[19] = 0xff
  huge[20] = 0xff
  huge[21] = 0x01 // 131071 bytes
  const reader = new FrameReader(65536)
  reader.push(huge)
  const item = reader.next()
  assert.ok(!item.ok && item.error.code === 'limit_exceeded')
})

test('the frame reader splits a stream cut at every byte', () => {
  const g = new Uint8Array(16).fill(1)
  const a = encodeDescriptor({
    guid: g,
    ttl: 3,
    hops: 1,
    payload: { type: 'query', minSpeed: 0, criteria: 'abc', urns: [], ggep: [] },
  })
  const b = encodeDescriptor({ guid: g, ttl: 1, hops: 0, payload: { type: 'ping', ggep: [] } })
  const stream = new Uint8Array([...a, ...b])
  for (let cut = 0; cut <= stream.length; cut++) {
    const reader = new FrameReader(1024)
    const types: string[] = []
    for (const chunk of [stream.subarray(0, cut), stream.subarray(cut)]) {
      reader.push(chunk)
      for (;;) {
        const item = reader.next()
        assert.ok(item.ok)
        if (item.value === NEED_DATA) break
        if (item.value.kind === 'descriptor') types.push(item.value.descriptor.payload.type)
      }
    }
    assert.deepEqual(types, ['query', 'ping'])
  }
})

test('the QHD push flag: value in bit 0 of the first open byte, "meaningful" in bit 0 of the second', () => {
  assert.deepEqual([...queryHitTrailer(true).openData], [0x01, 0x01])
  assert.deepEqual([...queryHitTrailer(false).openData], [0x00, 0x01])
  const trailer = (openData: number[]) => ({
    vendorCode: 'LIME',
    openData: Uint8Array.from(openData),
    privateData: new Uint8Array(0),
  })
  assert.equal(isFirewalled(trailer([0x01, 0x01])), true)
  assert.equal(isFirewalled(trailer([0x01, 0x00])), false, 'set but not meaningful')
  assert.equal(isFirewalled(trailer([0x1c, 0x1d])), false, 'other flags only')
  assert.equal(isFirewalled(trailer([0x01])), true, 'a one-byte open area')
  assert.equal(isFirewalled(trailer([])), false)
  assert.equal(isFirewalled(undefined), false)
})

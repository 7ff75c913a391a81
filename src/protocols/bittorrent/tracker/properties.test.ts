import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { addressKey, type Address } from '../../../core/address.js'
import { dictOf, encode, type BEncodable } from '../../../core/codec/bencode.js'
import { SeededRandom } from '../../../core/random.js'
import { instant, type Instant } from '../../../core/time.js'
import { encodeCompactPeers } from '../../../core/compact-peers.js'
import { ipFromBytes } from '../../../core/ip-bytes.js'
import { Announcer } from './announcer.js'
import { parseAnnounceResponse, parseScrapeResponse } from './http-response.js'
import { percentEncodeBytes } from './http-url.js'
import { decodeUdpTrackerRequest, decodeUdpTrackerResponse } from './udp-decode.js'
import { encodeUdpTrackerMessage } from './udp-encode.js'
import type { UdpTrackerMessage } from './udp-messages.js'

const u32 = fc.nat({ max: 0xffffffff })
const bytes20 = fc.uint8Array({ minLength: 20, maxLength: 20 })
const port = fc.integer({ min: 1, max: 0xffff })
const ipv4Peer = fc
  .record({ ip: fc.uint8Array({ minLength: 4, maxLength: 4 }), port })
  .map(({ ip, port }): Address => ({ host: ipFromBytes(ip) as string, port }))
const ipv6Peer = fc
  .record({ ip: fc.uint8Array({ minLength: 16, maxLength: 16 }), port })
  .map(({ ip, port }): Address => ({ host: ipFromBytes(ip) as string, port }))

test('decoders never throw on arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      parseAnnounceResponse(bytes)
      parseScrapeResponse(bytes)
      decodeUdpTrackerResponse(bytes, 'ipv4')
      decodeUdpTrackerResponse(bytes, 'ipv6')
      decodeUdpTrackerRequest(bytes)
    }),
    { numRuns: 2000 },
  )
})

test('the HTTP parsers never throw on well-formed bencode of any shape', () => {
  const leaf = fc.oneof(fc.integer(), fc.uint8Array({ maxLength: 40 }))
  const value: fc.Arbitrary<BEncodable> = fc.letrec<{ node: BEncodable }>((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 4 })),
  })).node
  const key = fc.constantFrom(
    'interval',
    'min interval',
    'peers',
    'peers6',
    'failure reason',
    'warning message',
    'tracker id',
    'complete',
    'files',
    'flags',
  )
  fc.assert(
    fc.property(fc.dictionary(key, value), (fields) => {
      const body = encode(dictOf(fields))
      parseAnnounceResponse(body)
      parseScrapeResponse(body)
    }),
  )
})

test('compact peers and peers6 round-trip through an announce body', () => {
  fc.assert(
    fc.property(
      fc.array(ipv4Peer, { maxLength: 30 }),
      fc.array(ipv6Peer, { maxLength: 30 }),
      (v4, v6) => {
        const body = encode(
          dictOf({
            interval: 60,
            peers: encodeCompactPeers(v4, 'ipv4'),
            peers6: encodeCompactPeers(v6, 'ipv6'),
          }),
        )
        const parsed = parseAnnounceResponse(body)
        assert.ok(parsed.ok)
        const unique = new Map([...v4, ...v6].map((p) => [addressKey(p), p]))
        assert.deepEqual(parsed.value.peers, [...unique.values()])
      },
    ),
  )
})

test('percent-encoding is reversible byte by byte', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const text = percentEncodeBytes(bytes)
      assert.match(text, /^([A-Za-z0-9\-._~]|%[0-9A-F]{2})*$/)
      const back: number[] = []
      for (let at = 0; at < text.length; at++) {
        if (text[at] === '%') {
          back.push(parseInt(text.slice(at + 1, at + 3), 16))
          at += 2
        } else back.push(text.charCodeAt(at))
      }
      assert.deepEqual(Uint8Array.from(back), bytes)
    }),
  )
})

const request: fc.Arbitrary<UdpTrackerMessage> = fc.oneof(
  fc.record({ type: fc.constant('connect_request' as const), transactionId: u32 }),
  fc.record({
    type: fc.constant('announce_request' as const),
    connectionId: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    transactionId: u32,
    infoHash: bytes20,
    peerId: bytes20,
    downloaded: fc.maxSafeNat(),
    left: fc.maxSafeNat(),
    uploaded: fc.maxSafeNat(),
    event: fc.constantFrom('none', 'completed', 'started', 'stopped'),
    key: u32,
    numWant: fc.integer({ min: -1, max: 0x7fffffff }),
    port: fc.nat({ max: 0xffff }),
  }),
  fc.record({
    type: fc.constant('scrape_request' as const),
    connectionId: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    transactionId: u32,
    infoHashes: fc.array(bytes20, { minLength: 1, maxLength: 74 }),
  }),
)

const response = (peer: fc.Arbitrary<Address>): fc.Arbitrary<UdpTrackerMessage> =>
  fc.oneof(
    fc.record({
      type: fc.constant('connect_response' as const),
      transactionId: u32,
      connectionId: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    }),
    fc.record({
      type: fc.constant('announce_response' as const),
      transactionId: u32,
      interval: u32,
      leechers: u32,
      seeders: u32,
      peers: fc.array(peer, { maxLength: 20 }),
    }),
    fc.record({
      type: fc.constant('scrape_response' as const),
      transactionId: u32,
      entries: fc.array(fc.record({ seeders: u32, completed: u32, leechers: u32 }), {
        maxLength: 10,
      }),
    }),
    fc.record({
      type: fc.constant('error' as const),
      transactionId: u32,
      message: fc.string({ maxLength: 100 }).filter((s) => !s.includes('\uFFFD')),
    }),
  )

test('UDP requests round-trip: decode(encode(m)) equals m', () => {
  fc.assert(
    fc.property(request, (message) => {
      const decoded = decodeUdpTrackerRequest(encodeUdpTrackerMessage(message, 'ipv4'))
      assert.ok(decoded.ok)
      // structuredClone: fast-check builds objects without a prototype.
      assert.deepEqual(decoded.value, structuredClone(message))
    }),
  )
})

test('UDP responses round-trip in both families', () => {
  for (const [family, peer] of [
    ['ipv4', ipv4Peer],
    ['ipv6', ipv6Peer],
  ] as const) {
    fc.assert(
      fc.property(response(peer), (message) => {
        const decoded = decodeUdpTrackerResponse(encodeUdpTrackerMessage(message, family), family)
        assert.ok(decoded.ok)
        assert.deepEqual(decoded.value, structuredClone(message))
      }),
    )
  }
})

test('the announcer keeps at most one regular announce in flight and never stalls', () => {
  const step = fc.constantFrom('succeed', 'fail', 'wait', 'complete', 'soon')
  fc.assert(
    fc.property(fc.integer(), fc.array(step, { maxLength: 60 }), (seed, steps) => {
      const tiers = [['http://a/1', 'udp://a/2'], ['http://b/1']]
      const announcer = new Announcer(tiers, new SeededRandom(seed))
      let now: Instant = instant(0)
      announcer.start(now)
      let inFlight = announcer.takeOutputs().filter((o) => o.type === 'announce')
      for (const action of steps) {
        assert.ok(inFlight.length <= 1)
        const current = inFlight[0]
        if (action === 'succeed' && current?.type === 'announce') {
          announcer.succeeded(now, current.requestKey, { peers: [] })
        } else if (action === 'fail' && current?.type === 'announce') {
          announcer.failed(now, current.requestKey, { code: 'timeout', message: 'x' })
        } else if (action === 'complete') announcer.completed(now)
        else if (action === 'soon') announcer.announceSoon(now)
        else {
          const next = announcer.nextTimeout()
          assert.ok(next !== undefined, 'a running announcer always has a next deadline')
          now = next
          announcer.timeout(now)
        }
        const outputs = announcer.takeOutputs()
        const asked = outputs.filter((o) => o.type === 'announce')
        const cancelled = outputs.some((o) => o.type === 'cancel')
        if (asked.length > 0 || cancelled || action === 'succeed' || action === 'fail') {
          inFlight = asked
        }
      }
    }),
  )
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { concatBytes, fromHex, utf8 } from '../../../core/bytes.js'
import { dictOf, encode } from '../../../core/codec/bencode.js'
import { seconds } from '../../../core/time.js'
import { parseAnnounceResponse, parseScrapeResponse } from './http-response.js'
import { TRACKER_INTERVAL_SECONDS_MAX, TRACKER_PEERS_MAX } from './types.js'

const hex = (text: string): Uint8Array => fromHex(text.replace(/\s+/g, '')) as Uint8Array
const text = (body: string): Uint8Array => utf8(body)

test('reads a compact response (BEP 23) with the usual fields', () => {
  const body = encode(
    dictOf({
      interval: 1800,
      'min interval': 900,
      complete: 5,
      incomplete: 7,
      'tracker id': 'abc',
      peers: hex('0a000001 1ae1 c0a80102 0050'),
    }),
  )
  const parsed = parseAnnounceResponse(body)
  assert.deepEqual(parsed, {
    ok: true,
    value: {
      interval: seconds(1800),
      minInterval: seconds(900),
      trackerId: utf8('abc'),
      complete: 5,
      incomplete: 7,
      peers: [
        { host: '10.0.0.1', port: 6881 },
        { host: '192.168.1.2', port: 80 },
      ],
    },
  })
})

test('reads the original list-of-dicts peers, skipping entries it cannot use', () => {
  const peers = [
    dictOf({ ip: '10.0.0.1', port: 6881, 'peer id': 'x'.repeat(20) }),
    dictOf({ ip: '2001:DB8:0::1', port: 51413 }),
    dictOf({ ip: '2001:db8::1', port: 51413 }), // the same peer, written canonically
    dictOf({ ip: 'peer.example.com', port: 6881 }), // a DNS name: we resolve nothing here
    dictOf({ ip: '10.0.0.2', port: 0 }),
    dictOf({ ip: '10.0.0.3' }),
    'not a dict',
  ]
  const parsed = parseAnnounceResponse(encode(dictOf({ interval: 60, peers })))
  assert.ok(parsed.ok)
  assert.deepEqual(parsed.value.peers, [
    { host: '10.0.0.1', port: 6881 },
    { host: '2001:db8::1', port: 51413 },
  ])
})

test('adds peers6 (BEP 7) to the IPv4 peers and drops duplicates', () => {
  const body = encode(
    dictOf({
      interval: 60,
      peers: hex('0a000001 1ae1 0a000001 1ae1'),
      peers6: hex('20010db8000000000000000000000001 1ae1'),
    }),
  )
  const parsed = parseAnnounceResponse(body)
  assert.ok(parsed.ok)
  assert.deepEqual(parsed.value.peers, [
    { host: '10.0.0.1', port: 6881 },
    { host: '2001:db8::1', port: 6881 },
  ])
})

test('a failure reason is a tracker_failure, not a decode error', () => {
  const parsed = parseAnnounceResponse(text('d14:failure reason17:torrent not founde'))
  assert.deepEqual(parsed, {
    ok: false,
    error: { code: 'tracker_failure', message: 'torrent not found' },
  })
})

test('keeps a warning message alongside a working answer', () => {
  const parsed = parseAnnounceResponse(text('d8:intervali60e5:peers0:15:warning message4:slowe'))
  assert.ok(parsed.ok)
  assert.equal(parsed.value.warning, 'slow')
  assert.deepEqual(parsed.value.peers, [])
})

test('accepts the unsorted keys and trailing newline sloppy trackers send', () => {
  // `complete` after `peers` is out of order; the newline follows the value.
  const raw = concatBytes([
    text('d8:intervali120e5:peers6:'),
    hex('0a000001 1ae1'),
    text('8:completei1ee\n'),
  ])
  const parsed = parseAnnounceResponse(raw)
  assert.ok(parsed.ok, JSON.stringify(parsed))
  assert.equal(parsed.value.interval, seconds(120))
  assert.equal(parsed.value.complete, 1)
  assert.deepEqual(parsed.value.peers, [{ host: '10.0.0.1', port: 6881 }])
})

test('clamps absurd intervals and drops negative numbers', () => {
  const body = encode(
    dictOf({ interval: 10 ** 12, 'min interval': -5, complete: -1, peers: new Uint8Array(0) }),
  )
  const parsed = parseAnnounceResponse(body)
  assert.ok(parsed.ok)
  assert.equal(parsed.value.interval, seconds(TRACKER_INTERVAL_SECONDS_MAX))
  assert.equal(parsed.value.minInterval, undefined)
  assert.equal(parsed.value.complete, undefined)
})

test('keeps at most TRACKER_PEERS_MAX peers', () => {
  const count = TRACKER_PEERS_MAX + 5
  const peers = new Uint8Array(count * 6)
  for (let i = 0; i < count; i++) {
    peers.set([10, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, 0x1a, 0xe1], i * 6)
  }
  const parsed = parseAnnounceResponse(encode(dictOf({ interval: 60, peers })))
  assert.ok(parsed.ok)
  assert.equal(parsed.value.peers.length, TRACKER_PEERS_MAX)
})

test('refuses what is not a usable answer', () => {
  const cases = [
    text('not bencode'),
    text('li1ee'),
    encode(dictOf({ interval: 60, peers: new Uint8Array(7) })),
    encode(dictOf({ interval: 60, peers6: new Uint8Array(6) })),
    encode(dictOf({ interval: 60, peers: 5 })),
    text('d1:ai1e1:ai2ee'), // duplicate key: no right answer to pick
  ]
  for (const body of cases) {
    const parsed = parseAnnounceResponse(body)
    assert.equal(parsed.ok, false)
    if (!parsed.ok) assert.equal(parsed.error.code, 'malformed')
  }
})

test('reads a scrape response keyed by raw info-hash bytes (BEP 48)', () => {
  const hash = hex('123456789abcdef123456789abcdef123456789a')
  const key = String.fromCharCode(...hash)
  const files = new Map([
    [key, dictOf({ complete: 3, downloaded: 10, incomplete: 2, name: 'x' })],
    ['short', dictOf({ complete: 1 })],
  ])
  const body = encode(dictOf({ files, flags: dictOf({ min_request_interval: 600 }) }))
  assert.deepEqual(parseScrapeResponse(body), {
    ok: true,
    value: {
      files: [{ infoHash: hash, complete: 3, downloaded: 10, incomplete: 2 }],
      minRequestInterval: seconds(600),
    },
  })
  assert.equal(parseScrapeResponse(text('d5:filesi1ee')).ok, false)
  const failure = parseScrapeResponse(text('d14:failure reason4:nopee'))
  assert.deepEqual(failure, { ok: false, error: { code: 'tracker_failure', message: 'nope' } })
})

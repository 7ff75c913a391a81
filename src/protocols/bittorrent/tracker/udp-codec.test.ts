import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromHex, utf8 } from '../../../core/bytes.js'
import { udpTrackerCodec } from './udp-codec.js'
import { decodeUdpTrackerRequest, decodeUdpTrackerResponse } from './udp-decode.js'
import { encodeUdpTrackerMessage } from './udp-encode.js'
import type { UdpTrackerMessage } from './udp-messages.js'

const hex = (text: string): Uint8Array => fromHex(text.replace(/\s+/g, '')) as Uint8Array
const HASH = new Uint8Array(20).fill(0xaa)
const PEER = new Uint8Array(20).fill(0xbb)

/** Each vector written out field by field from BEP 15's tables. */
const vectors: [string, UdpTrackerMessage, string][] = [
  [
    'connect request',
    { type: 'connect_request', transactionId: 0x12345678 },
    // protocol_id 0x41727101980 as 8 bytes big-endian | action 0 | transaction_id
    '00000417 27101980  00000000  12345678',
  ],
  [
    'connect response',
    { type: 'connect_response', transactionId: 0x12345678, connectionId: 0x0102030405060708n },
    '00000000  12345678  01020304 05060708',
  ],
  [
    'announce request',
    {
      type: 'announce_request',
      connectionId: 0x0102030405060708n,
      transactionId: 0xdeadbeef,
      infoHash: HASH,
      peerId: PEER,
      downloaded: 1024,
      left: 4096,
      uploaded: 0,
      event: 'started',
      key: 0xbeef,
      numWant: -1,
      port: 6881,
    },
    '01020304 05060708  00000001  deadbeef' +
      'aa'.repeat(20) +
      'bb'.repeat(20) +
      '00000000 00000400  00000000 00001000  00000000 00000000' + // downloaded, left, uploaded
      '00000002  00000000  0000beef  ffffffff  1ae1', // event, IP, key, num_want, port
  ],
  [
    'announce response (IPv4 peers)',
    {
      type: 'announce_response',
      transactionId: 0xdeadbeef,
      interval: 1800,
      leechers: 3,
      seeders: 5,
      peers: [{ host: '10.0.0.1', port: 6881 }],
    },
    '00000001  deadbeef  00000708  00000003  00000005  0a000001 1ae1',
  ],
  [
    'scrape request',
    {
      type: 'scrape_request',
      connectionId: 0x0102030405060708n,
      transactionId: 7,
      infoHashes: [HASH, PEER],
    },
    '01020304 05060708  00000002  00000007' + 'aa'.repeat(20) + 'bb'.repeat(20),
  ],
  [
    'scrape response',
    {
      type: 'scrape_response',
      transactionId: 7,
      entries: [{ seeders: 5, completed: 10, leechers: 3 }],
    },
    '00000002  00000007  00000005 0000000a 00000003',
  ],
  [
    'error',
    { type: 'error', transactionId: 7, message: 'torrent not found' },
    '00000003  00000007' + [...utf8('torrent not found')].map((b) => b.toString(16)).join(''),
  ],
]

for (const [name, message, bytes] of vectors) {
  test(`BEP 15 vector: ${name}`, () => {
    assert.deepEqual(encodeUdpTrackerMessage(message, 'ipv4'), hex(bytes))
    const isRequest = message.type.endsWith('_request')
    const decoded = isRequest
      ? decodeUdpTrackerRequest(hex(bytes))
      : decodeUdpTrackerResponse(hex(bytes), 'ipv4')
    assert.deepEqual(decoded, { ok: true, value: message })
  })
}

test('an announce response over IPv6 carries 18-byte peers', () => {
  const bytes = hex(
    '00000001 00000009 0000003c 00000000 00000001 20010db8000000000000000000000001 1ae1',
  )
  const expected = {
    type: 'announce_response',
    transactionId: 9,
    interval: 60,
    leechers: 0,
    seeders: 1,
    peers: [{ host: '2001:db8::1', port: 6881 }],
  }
  assert.deepEqual(udpTrackerCodec('ipv6').decode(bytes), { ok: true, value: expected })
  // The same 18 peer bytes read as IPv4 are three 6-byte peers: the family must come from
  // the socket, which is why the codec is built per family.
  const asIpv4 = udpTrackerCodec('ipv4').decode(bytes)
  assert.ok(asIpv4.ok && asIpv4.value.type === 'announce_response')
  assert.equal(asIpv4.value.peers.length, 3)
})

test('accepts responses longer than needed where BEP 15 allows it', () => {
  const connect = decodeUdpTrackerResponse(hex('00000000 00000001 0000000000000002 ffff'), 'ipv4')
  assert.deepEqual(connect, {
    ok: true,
    value: { type: 'connect_response', transactionId: 1, connectionId: 2n },
  })
})

test('rejects malformed datagrams with typed errors', () => {
  const cases: [Uint8Array, string][] = [
    [hex('000000'), 'short'],
    [hex('00000000 00000001 00000000'), 'short'],
    [hex('00000001 00000001 00000000 00000000 00000000 0a000001'), 'bad_length'],
    [hex('00000002 00000001 00000000'), 'bad_length'],
    [hex('00000009 00000001'), 'bad_action'],
  ]
  for (const [bytes, code] of cases) {
    const decoded = decodeUdpTrackerResponse(bytes, 'ipv4')
    assert.equal(decoded.ok, false, code)
    if (!decoded.ok) assert.equal(decoded.error.code, code)
  }
  const badMagic = decodeUdpTrackerRequest(hex('00000000 00000001 00000000 00000001'))
  assert.equal(badMagic.ok ? 'ok' : badMagic.error.code, 'bad_protocol_id')
})

test('encoding refuses values the wire cannot carry (programmer errors)', () => {
  const scrape = (count: number): UdpTrackerMessage => ({
    type: 'scrape_request',
    connectionId: 1n,
    transactionId: 1,
    infoHashes: new Array<Uint8Array>(count).fill(HASH),
  })
  assert.throws(() => encodeUdpTrackerMessage(scrape(0), 'ipv4'))
  assert.throws(() => encodeUdpTrackerMessage(scrape(75), 'ipv4'))
  assert.throws(() =>
    encodeUdpTrackerMessage({ type: 'connect_request', transactionId: 2 ** 32 }, 'ipv4'),
  )
})

import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { test } from 'node:test'
import fc from 'fast-check'
import { SeededRandom } from '../../../core/random.js'
import { after, instant, seconds } from '../../../core/time.js'
import { ConnectionIds } from './connection-ids.js'
import {
  id20,
  makeTracker,
  nodeHashing,
  T0,
  u32At,
  udpAnnounce,
  udpConnect,
  udpConnectionId,
  udpErrorText,
  udpExchange,
  udpScrape,
  v4,
  v6,
} from './fixtures.test.js'
import { HmacSha256 } from './hmac.js'
import { peerAddress } from './peer-address.js'

test('connect, announce and scrape over IPv4', () => {
  const tracker = makeTracker()
  const a = v4(1, 40000)
  const b = v4(2, 40001)
  const idA = udpConnectionId(tracker, a)
  const idB = udpConnectionId(tracker, b)
  udpExchange(tracker, a, udpAnnounce({ connectionId: idA, peerId: id20(2, 1), port: 7001 }))
  const [answer] = udpExchange(
    tracker,
    b,
    udpAnnounce({ connectionId: idB, peerId: id20(2, 2), left: 0n, transactionId: 77 }),
  )
  assert.ok(answer !== undefined)
  assert.equal(u32At(answer, 0), 1)
  assert.equal(u32At(answer, 4), 77)
  assert.equal(u32At(answer, 8), 1800)
  assert.equal(u32At(answer, 12), 1) // leechers
  assert.equal(u32At(answer, 16), 1) // seeders
  assert.deepEqual([...answer.subarray(20)], [10, 0, 0, 1, 0x1b, 0x59]) // 10.0.0.1:7001

  udpExchange(
    tracker,
    a,
    udpAnnounce({ connectionId: idA, peerId: id20(2, 1), event: 1, left: 0n, port: 7001 }),
  )
  const [scrape] = udpExchange(tracker, a, udpScrape(idA, [id20(1), id20(5)]))
  assert.ok(scrape !== undefined)
  assert.equal(u32At(scrape, 0), 2)
  assert.equal(scrape.length, 8 + 24)
  assert.deepEqual([u32At(scrape, 8), u32At(scrape, 12), u32At(scrape, 16)], [2, 1, 0])
  assert.deepEqual([u32At(scrape, 20), u32At(scrape, 24), u32At(scrape, 28)], [0, 0, 0])
  assert.equal(tracker.stats().udp.announces, 3)
})

test('IPv6 clients get 18-byte peers of their own family', () => {
  const tracker = makeTracker()
  const c6 = v6(1)
  const c4 = v4(2)
  udpExchange(
    tracker,
    c4,
    udpAnnounce({ connectionId: udpConnectionId(tracker, c4), peerId: id20(2, 4) }),
  )
  const id6 = udpConnectionId(tracker, c6)
  udpExchange(tracker, c6, udpAnnounce({ connectionId: id6, peerId: id20(2, 6) }))
  const other = v6(2)
  const [answer] = udpExchange(
    tracker,
    other,
    udpAnnounce({
      connectionId: udpConnectionId(tracker, other),
      peerId: id20(2, 7),
      numWant: 500,
    }),
  )
  assert.ok(answer !== undefined)
  assert.equal(answer.length, 20 + 18)
  assert.equal(u32At(answer, 12), 3) // leechers, both families counted
})

test('a stopped event removes the peer over UDP too', () => {
  const tracker = makeTracker()
  const a = v4(1)
  const id = udpConnectionId(tracker, a)
  udpExchange(tracker, a, udpAnnounce({ connectionId: id }))
  assert.equal(tracker.countsOf(id20(1))?.leechers, 1)
  const [answer] = udpExchange(tracker, a, udpAnnounce({ connectionId: id, event: 3 }))
  assert.equal(answer?.length, 20)
  assert.equal(tracker.countsOf(id20(1))?.leechers, 0)
})

test('every wrong request gets an error; unanswerable packets are dropped', () => {
  const tracker = makeTracker({ rateLimit: { perSecond: 1000, burst: 1000, sourcesMax: 10 } })
  const a = v4(1)
  const id = udpConnectionId(tracker, a)
  const error = (bytes: Uint8Array): string | undefined => {
    const answers = udpExchange(tracker, a, bytes)
    assert.equal(answers.length, 1)
    return udpErrorText(answers[0] as Uint8Array)
  }
  const announce = udpAnnounce({ connectionId: id })
  assert.equal(error(announce.subarray(0, 97)), 'announce request shorter than 98 bytes')
  assert.equal(error(udpAnnounce({ connectionId: new Uint8Array(8) })), 'invalid connection id')
  assert.equal(error(udpAnnounce({ connectionId: id, event: 9 })), 'unknown event 9')
  assert.equal(error(udpAnnounce({ connectionId: id, port: 0 })), 'port must be 1 to 65535')
  const scrape = udpScrape(id, [id20(1)])
  assert.equal(error(scrape.subarray(0, 30)), 'scrape request has a partial info_hash')
  assert.equal(error(scrape.subarray(0, 16)), 'scrape request names no info_hash')
  const tooLong = udpScrape(
    id,
    Array.from({ length: 75 }, (_, i) => id20(1, i)),
  )
  assert.equal(error(tooLong), 'packet too long')
  const bigConnect = new Uint8Array(20)
  bigConnect.set(udpConnect(1))
  assert.equal(error(bigConnect), 'connect request must be 16 bytes')
  const badMagic = udpConnect(1)
  badMagic[0] = 1
  assert.equal(error(badMagic), 'bad protocol id')
  const unknown = udpConnect(1)
  unknown[11] = 9
  assert.equal(error(unknown), 'unknown action 9')
  // BEP 41 options after the 98 bytes are accepted and ignored.
  const withOptions = new Uint8Array(110)
  withOptions.set(announce)
  withOptions[98] = 2
  assert.equal(u32At(udpExchange(tracker, a, withOptions)[0] as Uint8Array, 0), 1)

  assert.deepEqual(udpExchange(tracker, a, new Uint8Array(15)), [])
  const errorAction = udpConnect(1)
  errorAction[11] = 3
  assert.deepEqual(udpExchange(tracker, a, errorAction), [])
  const stats = tracker.stats().udp
  assert.equal(stats.droppedShort, 1)
  assert.equal(stats.droppedErrorAction, 1)
})

test('private mode: announce of an unknown hash is an error; scrape gives zeros', () => {
  const tracker = makeTracker({ allowListOnly: true })
  const a = v4(1)
  const id = udpConnectionId(tracker, a)
  assert.equal(
    udpErrorText(udpExchange(tracker, a, udpAnnounce({ connectionId: id }))[0] as Uint8Array),
    'unregistered torrent',
  )
  const [scrape] = udpExchange(tracker, a, udpScrape(id, [id20(1)]))
  assert.equal(scrape?.length, 20)
})

test('a connection id is valid in its epoch and the next, and only for its address', () => {
  const ids = new ConnectionIds(nodeHashing, new SeededRandom(3), seconds(60))
  const a = peerAddress('192.0.2.1', 4000)
  const b = peerAddress('192.0.2.1', 4001)
  const c = peerAddress('2001:db8::1', 4000)
  assert.ok(a !== undefined && b !== undefined && c !== undefined)
  const start = instant(60_000 * 1000) // an epoch boundary
  const id = ids.issue(a, start)
  assert.ok(ids.verify(a, id, 0, start))
  assert.ok(ids.verify(a, id, 0, after(start, seconds(119))))
  assert.ok(!ids.verify(a, id, 0, after(start, seconds(120))))
  assert.ok(!ids.verify(b, id, 0, start))
  assert.ok(!ids.verify(c, id, 0, start))
  const other = new ConnectionIds(nodeHashing, new SeededRandom(4), seconds(60))
  assert.ok(!other.verify(a, id, 0, start), 'another secret rejects it')
  // Issued at the very end of an epoch, it still lives a full minute.
  const late = ids.issue(a, after(start, seconds(59.999)))
  assert.ok(ids.verify(a, late, 0, after(start, seconds(119.999))))
})

test('an expired or foreign connection id is refused over the wire', () => {
  const tracker = makeTracker()
  const a = v4(1)
  const id = udpConnectionId(tracker, a)
  const [late] = udpExchange(tracker, a, udpAnnounce({ connectionId: id }), after(T0, seconds(121)))
  assert.equal(udpErrorText(late as Uint8Array), 'invalid connection id')
  const [foreign] = udpExchange(tracker, v4(2), udpAnnounce({ connectionId: id }))
  assert.equal(udpErrorText(foreign as Uint8Array), 'invalid connection id')
})

test('HMAC-SHA256 matches RFC 2104 as node:crypto computes it, short and long keys', () => {
  for (const keyLength of [0, 20, 64, 65, 131]) {
    const key = Uint8Array.from({ length: keyLength }, (_, i) => (i * 7 + 1) & 0xff)
    const message = new TextEncoder().encode('what do ya want for nothing?')
    const expected = createHmac('sha256', key).update(message).digest()
    const mac = new HmacSha256(nodeHashing, key).mac([message.subarray(0, 5), message.subarray(5)])
    assert.deepEqual(Buffer.from(mac), expected)
  }
})

test('one flooding address is dropped while another is served', () => {
  const tracker = makeTracker({ rateLimit: { perSecond: 5, burst: 10, sourcesMax: 100 } })
  const flooder = v4(66)
  let answered = 0
  for (let i = 0; i < 1000; i++) answered += udpExchange(tracker, flooder, udpConnect(i)).length
  assert.equal(answered, 10)
  assert.equal(udpExchange(tracker, v4(7), udpConnect(1)).length, 1)
  assert.equal(tracker.stats().udp.droppedRateLimited, 990)
  // The same limiter guards HTTP (the driver calls admit), and it refills with time.
  assert.equal(tracker.admit(flooder, T0), false)
  assert.equal(tracker.admit({ host: '10.0.0.66', port: 9 }, after(T0, seconds(1))), true)
  // IPv6 sources share a bucket per /64.
  for (let i = 0; i < 10; i++) assert.ok(tracker.admit({ host: `2001:db8::${i + 1}`, port: 1 }, T0))
  assert.equal(tracker.admit({ host: '2001:db8::ffff', port: 1 }, T0), false)
  assert.equal(tracker.admit({ host: '2001:db8:0:1::1', port: 1 }, T0), true)
})

test('the source table is bounded', () => {
  const tracker = makeTracker({ rateLimit: { perSecond: 1, burst: 1, sourcesMax: 50 } })
  for (let i = 0; i < 500; i++) tracker.admit(v4(i), T0)
  assert.equal(tracker.stats().rateLimit.sources, 50)
})

const datagram = fc.oneof(
  fc.uint8Array({ maxLength: 1600 }),
  // Valid-looking heads with random tails, to get past the first checks.
  fc
    .tuple(fc.constantFrom(0, 1, 2, 3, 4), fc.uint8Array({ minLength: 0, maxLength: 200 }))
    .map(([action, tail]) => {
      const out = new Uint8Array(16 + tail.length)
      out.set(udpConnect(1))
      out[11] = action
      out.set(tail, 16)
      return out
    }),
)

test('arbitrary datagrams never throw: each is answered once or dropped', () => {
  const tracker = makeTracker({ rateLimit: { perSecond: 1e9, burst: 1e9, sourcesMax: 10 } })
  const a = v4(1)
  fc.assert(
    fc.property(datagram, (bytes) => {
      const answers = udpExchange(tracker, a, bytes)
      assert.ok(answers.length <= 1)
      if (bytes.length < 16) assert.equal(answers.length, 0)
    }),
    { numRuns: 3000 },
  )
})

test('the UDP core carries the expiry schedule for the driver', () => {
  const tracker = makeTracker()
  assert.equal(tracker.udp.nextTimeout(), undefined)
  const a = v4(1)
  udpExchange(tracker, a, udpAnnounce({ connectionId: udpConnectionId(tracker, a), left: 0n }))
  assert.deepEqual(tracker.totals(), { torrents: 1, peers: 1, seeders: 1, leechers: 0 })
  let now = T0
  for (let minute = 1; minute <= 66; minute++) {
    const next = tracker.udp.nextTimeout()
    assert.ok(next !== undefined)
    now = next
    tracker.udp.timeout(now)
  }
  assert.deepEqual(tracker.totals(), { torrents: 0, peers: 0, seeders: 0, leechers: 0 })
  assert.equal(tracker.stats().expired, 1)
  assert.ok(tracker.takeChangedSwarms().length === 1)
})

test('announces and scrapes with a valid connection id and arbitrary fields never throw', () => {
  const tracker = makeTracker({ rateLimit: { perSecond: 1e9, burst: 1e9, sourcesMax: 10 } })
  const a = v4(1)
  const connectionId = udpConnectionId(tracker, a)
  const request = fc.oneof(
    fc
      .record({
        body: fc.uint8Array({ minLength: 82, maxLength: 300 }),
        action: fc.constantFrom(1, 2),
      })
      .map(({ body, action }) => {
        const out = new Uint8Array(16 + body.length)
        out.set(connectionId)
        out[11] = action
        out.set(body, 16)
        return out
      }),
    fc
      .record({
        left: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
        event: fc.nat(5),
        ip: fc.nat(0xffffffff),
        numWant: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        port: fc.nat(0xffff),
        peer: fc.nat(50),
      })
      .map((f) => udpAnnounce({ connectionId, ...f, peerId: id20(2, f.peer) })),
  )
  fc.assert(
    fc.property(request, (bytes) => {
      const answers = udpExchange(tracker, a, bytes)
      assert.equal(answers.length, 1)
      const action = u32At(answers[0] as Uint8Array, 0)
      assert.ok(action === 1 || action === 2 || action === 3)
      if (action === 1) assert.ok((answers[0] as Uint8Array).length <= 20 + 200 * 6)
    }),
    { numRuns: 2000 },
  )
})

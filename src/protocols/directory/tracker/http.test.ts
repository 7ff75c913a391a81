import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { keyFromBytes } from '../../../core/codec/bencode.js'
import { decodeCompactPeers } from '../../../core/compact-peers.js'
import { percentEncodeBytes } from '../../../core/percent.js'
import { after, minutes, seconds } from '../../../core/time.js'
import {
  announceQuery,
  bdecode,
  failureOf,
  id20,
  makeTracker,
  T0,
  v4,
  v6,
} from './fixtures.test.js'

const peersOf = (body: Uint8Array): number => {
  const peers = bdecode(body).get('peers')
  assert.ok(peers instanceof Uint8Array)
  return peers.length / 6
}

test('a compact announce returns interval, counts and the other peers, never the requester', () => {
  const tracker = makeTracker()
  for (let i = 0; i < 5; i++) {
    tracker.handleHttpAnnounce(announceQuery({ peerId: id20(2, i) }), v4(i), T0)
  }
  const body = tracker.handleHttpAnnounce(announceQuery({ peerId: id20(2, 0) }), v4(0), T0)
  const dict = bdecode(body)
  assert.equal(dict.get('interval'), 1800)
  assert.equal(dict.get('min interval'), 900)
  assert.equal(dict.get('complete'), 0)
  assert.equal(dict.get('incomplete'), 5)
  const peers = decodeCompactPeers(dict.get('peers') as Uint8Array, 'ipv4')
  assert.ok(peers.ok)
  assert.equal(peers.value.length, 4)
  assert.ok(peers.value.every((p) => p.host !== '10.0.0.0'))
})

test('numwant defaults to 50 and is capped at 200', () => {
  const tracker = makeTracker()
  for (let i = 0; i < 300; i++) {
    tracker.handleHttpAnnounce(announceQuery({ peerId: id20(2, i), numwant: 0 }), v4(i), T0)
  }
  const ask = (numwant?: number): number =>
    peersOf(tracker.handleHttpAnnounce(announceQuery({ peerId: id20(3), numwant }), v4(999), T0))
  assert.equal(ask(), 50)
  assert.equal(ask(10), 10)
  assert.equal(ask(100_000), 200)
})

test('a seeder gets only leechers; completed counts once per peer', () => {
  const tracker = makeTracker()
  for (let i = 0; i < 3; i++) {
    tracker.handleHttpAnnounce(announceQuery({ peerId: id20(2, i), left: 0 }), v4(i), T0)
  }
  tracker.handleHttpAnnounce(announceQuery({ peerId: id20(4) }), v4(50), T0)
  const seed = tracker.handleHttpAnnounce(announceQuery({ peerId: id20(2, 0), left: 0 }), v4(0), T0)
  const peers = decodeCompactPeers(bdecode(seed).get('peers') as Uint8Array, 'ipv4')
  assert.ok(peers.ok)
  assert.deepEqual(peers.value, [{ host: '10.0.0.50', port: 6881 }])

  const done = announceQuery({ peerId: id20(4), left: 0, event: 'completed' })
  tracker.handleHttpAnnounce(done, v4(50), T0)
  tracker.handleHttpAnnounce(done, v4(50), T0)
  assert.deepEqual(tracker.countsOf(id20(1)), { seeders: 4, leechers: 0, completed: 1 })
})

test('stopped removes the peer; expiry drops silent peers after interval * 2 + grace', () => {
  const tracker = makeTracker()
  tracker.handleHttpAnnounce(announceQuery({ peerId: id20(2, 1) }), v4(1), T0)
  tracker.handleHttpAnnounce(announceQuery({ peerId: id20(2, 2) }), v4(2), T0)
  tracker.handleHttpAnnounce(announceQuery({ peerId: id20(2, 1), event: 'stopped' }), v4(1), T0)
  assert.deepEqual(tracker.countsOf(id20(1)), { seeders: 0, leechers: 1, completed: 0 })
  assert.equal(tracker.nextTimeout(), after(T0, minutes(1)))
  assert.equal(tracker.expire(after(T0, minutes(64))), 0)
  assert.equal(tracker.expire(after(T0, minutes(65))), 1)
  assert.deepEqual(tracker.totals(), { torrents: 0, peers: 0, seeders: 0, leechers: 0 })
})

test('a stopped event from another address does not remove the peer', () => {
  const tracker = makeTracker()
  tracker.handleHttpAnnounce(announceQuery({ peerId: id20(2, 1) }), v4(1), T0)
  tracker.handleHttpAnnounce(announceQuery({ peerId: id20(2, 1), event: 'stopped' }), v4(9), T0)
  assert.equal(tracker.countsOf(id20(1))?.leechers, 1)
})

test('IPv6 peers come back in peers6 and both families are served', () => {
  const tracker = makeTracker()
  tracker.handleHttpAnnounce(announceQuery({ peerId: id20(2, 1) }), v6(1), T0)
  tracker.handleHttpAnnounce(announceQuery({ peerId: id20(2, 2) }), v4(2), T0)
  const mapped = { host: '::ffff:10.0.0.3', port: 5000 }
  const dict = bdecode(
    tracker.handleHttpAnnounce(announceQuery({ peerId: id20(2, 3) }), mapped, T0),
  )
  const peers6 = decodeCompactPeers(dict.get('peers6') as Uint8Array, 'ipv6')
  assert.ok(peers6.ok)
  assert.deepEqual(peers6.value, [{ host: '2001:db8::1', port: 6881 }])
  assert.equal(
    peersOf(tracker.handleHttpAnnounce(announceQuery({ peerId: id20(9) }), v6(9), T0)),
    2,
  )
})

test('compact=0 gives dictionaries with peer ids unless no_peer_id', () => {
  const tracker = makeTracker()
  tracker.handleHttpAnnounce(announceQuery({ peerId: id20(2, 1) }), v4(1), T0)
  tracker.handleHttpAnnounce(announceQuery({ peerId: id20(2, 2) }), v6(2), T0)
  const body = tracker.handleHttpAnnounce(
    announceQuery({ peerId: id20(3), compact: '0' }),
    v4(3),
    T0,
  )
  const list = bdecode(body).get('peers')
  assert.ok(Array.isArray(list))
  assert.equal(list.length, 2)
  const hosts = list.map((p) => new TextDecoder().decode((p as Map<string, Uint8Array>).get('ip')))
  assert.deepEqual(hosts.sort(), ['10.0.0.1', '2001:db8::2'])
  assert.ok(list.every((p) => (p as Map<string, unknown>).get('peer id') instanceof Uint8Array))
  const bare = tracker.handleHttpAnnounce(
    announceQuery({ peerId: id20(3), compact: '0', extra: 'no_peer_id=1' }),
    v4(3),
    T0,
  )
  const bareList = bdecode(bare).get('peers') as Map<string, unknown>[]
  assert.ok(bareList.every((p) => !p.has('peer id') && p.has('port')))
})

test('private mode refuses unknown info-hashes and serves allowed ones', () => {
  const tracker = makeTracker({ allowListOnly: true })
  assert.equal(
    failureOf(tracker.handleHttpAnnounce(announceQuery({}), v4(1), T0)),
    'unregistered torrent',
  )
  tracker.allow(id20(1))
  assert.deepEqual(tracker.countsOf(id20(1)), { seeders: 0, leechers: 0, completed: 0 })
  assert.equal(failureOf(tracker.handleHttpAnnounce(announceQuery({}), v4(1), T0)), undefined)
  assert.equal(tracker.countsOf(id20(1))?.leechers, 1)
})

test('the ip parameter is honoured from loopback only (default policy)', () => {
  const tracker = makeTracker()
  const claim = announceQuery({ peerId: id20(2, 1), extra: 'ip=192.0.2.7' })
  tracker.handleHttpAnnounce(claim, { host: '127.0.0.1', port: 1 }, T0)
  tracker.handleHttpAnnounce(
    announceQuery({ peerId: id20(2, 2), extra: 'ip=192.0.2.8' }),
    v4(2),
    T0,
  )
  const body = tracker.handleHttpAnnounce(announceQuery({ peerId: id20(3) }), v4(3), T0)
  const peers = decodeCompactPeers(bdecode(body).get('peers') as Uint8Array, 'ipv4')
  assert.ok(peers.ok)
  assert.deepEqual(peers.value.map((p) => p.host).sort(), ['10.0.0.2', '192.0.2.7'])
})

test('tracker id is echoed when configured', () => {
  const tracker = makeTracker({ trackerId: 'dir-1' })
  const dict = bdecode(tracker.handleHttpAnnounce(announceQuery({}), v4(1), T0))
  assert.deepEqual(dict.get('tracker id'), new TextEncoder().encode('dir-1'))
})

test('malformed announces get a clear failure reason', () => {
  const tracker = makeTracker()
  const fail = (query: string): string | undefined =>
    failureOf(tracker.handleHttpAnnounce(query, v4(1), T0))
  const good = announceQuery({})
  assert.equal(fail(good), undefined)
  assert.equal(fail(good.replace('info_hash=', 'info_hash=%zz')), 'malformed percent-encoding')
  assert.equal(fail(good.replace(/info_hash=[^&]*&/, '')), 'missing info_hash')
  assert.equal(fail(announceQuery({ infoHash: new Uint8Array(19) })), 'info_hash must be 20 bytes')
  assert.equal(fail(announceQuery({ peerId: new Uint8Array(21) })), 'peer_id must be 20 bytes')
  assert.equal(fail(good.replace(/port=\d+&/, '')), 'missing port')
  for (const port of ['0', '65536', '-1', 'x', '1e3']) {
    assert.equal(fail(announceQuery({ port })), 'port must be 1 to 65535', port)
  }
  for (const numwant of ['-1', 'ten', '1000000', '']) {
    assert.match(fail(announceQuery({ numwant })) ?? '', /^numwant/, numwant)
  }
  assert.match(fail(announceQuery({ left: '1.5' })) ?? '', /^left must be/)
  assert.equal(fail(good.replace(/&left=\d+/, '')), 'missing left')
  assert.match(fail(good.replace('uploaded=0', 'uploaded=-3')) ?? '', /^uploaded/)
  assert.equal(fail(`${good}&port=1`), 'parameter port repeated')
  assert.match(fail(`${good}&x=${'a'.repeat(5000)}`) ?? '', /^query longer than 4096/)
  assert.match(fail(announceQuery({ event: 'bogus' })) ?? '', /^event must be/)
  assert.equal(fail(announceQuery({ compact: '2' })), 'compact must be 0 or 1')
  assert.equal(fail(`${good}&a b=1`), 'malformed percent-encoding')
  assert.equal(tracker.stats().http.failures > 10, true)
})

test('scrape reports named swarms; a full scrape only when enabled', () => {
  const tracker = makeTracker()
  tracker.handleHttpAnnounce(announceQuery({ peerId: id20(2, 1), left: 0 }), v4(1), T0)
  tracker.handleHttpAnnounce(announceQuery({ peerId: id20(2, 2) }), v4(2), T0)
  const q = `info_hash=${percentEncodeBytes(id20(1))}&info_hash=${percentEncodeBytes(id20(8))}`
  const files = bdecode(tracker.handleHttpScrape(q, v4(3), T0)).get('files') as Map<
    string,
    Map<string, number>
  >
  assert.deepEqual(Object.fromEntries(files.get(keyFromBytes(id20(1))) ?? []), {
    complete: 1,
    downloaded: 0,
    incomplete: 1,
  })
  assert.equal(files.get(keyFromBytes(id20(8)))?.get('complete'), 0)
  assert.match(failureOf(tracker.handleHttpScrape('', v4(3), T0)) ?? '', /full scrape is disabled/)
  assert.equal(
    failureOf(tracker.handleHttpScrape('info_hash=abc', v4(3), T0)),
    'info_hash must be 20 bytes',
  )
  const full = makeTracker({ fullScrape: true })
  full.handleHttpAnnounce(announceQuery({}), v4(1), T0)
  const all = bdecode(full.handleHttpScrape('', v4(3), T0)).get('files') as Map<string, unknown>
  assert.deepEqual([...all.keys()], [keyFromBytes(id20(1))])
})

test('private mode leaves not-allowed hashes out of a scrape', () => {
  const tracker = makeTracker({ allowListOnly: true })
  tracker.allow(id20(1))
  const q = `info_hash=${percentEncodeBytes(id20(1))}&info_hash=${percentEncodeBytes(id20(8))}`
  const files = bdecode(tracker.handleHttpScrape(q, v4(3), T0)).get('files') as Map<string, unknown>
  assert.deepEqual([...files.keys()], [keyFromBytes(id20(1))])
})

test('takeChangedSwarms reports each changed swarm once per call', () => {
  const tracker = makeTracker()
  tracker.handleHttpAnnounce(announceQuery({ peerId: id20(2, 1) }), v4(1), T0)
  tracker.handleHttpAnnounce(announceQuery({ infoHash: id20(7), peerId: id20(2, 1) }), v4(1), T0)
  assert.deepEqual(
    tracker
      .takeChangedSwarms()
      .map((h) => h[3])
      .sort(),
    [1, 7],
  )
  assert.deepEqual(tracker.takeChangedSwarms(), [])
  // A re-announce that changes nothing is not a change.
  tracker.handleHttpAnnounce(announceQuery({ peerId: id20(2, 1) }), v4(1), after(T0, seconds(5)))
  assert.deepEqual(tracker.takeChangedSwarms(), [])
})

const queryChars = fc.constantFrom(
  ...'abcdefghijklmnopqrstuvwxyz_=&%+0123456789AF?. -~\u00e9\u0000',
)
const queryish = fc.oneof(
  fc.string({ unit: queryChars, maxLength: 300 }),
  fc.string({ maxLength: 300 }),
  fc
    .record({
      port: fc.oneof(fc.integer({ min: -5, max: 70000 }).map(String), fc.string()),
      numwant: fc.oneof(fc.integer().map(String), fc.string()),
      left: fc.oneof(fc.bigInt().map(String), fc.string()),
      event: fc.oneof(fc.constantFrom('started', 'stopped', 'completed', ''), fc.string()),
      compact: fc.constantFrom('0', '1', 'x'),
      infoHash: fc.uint8Array({ minLength: 18, maxLength: 22 }),
    })
    .map((f) => announceQuery(f)),
)

test('any query string yields bencode with either peers or a failure reason, never a throw', () => {
  const tracker = makeTracker()
  fc.assert(
    fc.property(queryish, (query) => {
      const dict = bdecode(tracker.handleHttpAnnounce(query, v4(1), T0))
      assert.ok(dict.has('failure reason') !== dict.has('peers'))
      const scrape = bdecode(tracker.handleHttpScrape(query, v4(1), T0))
      assert.ok(scrape.has('failure reason') !== scrape.has('files'))
    }),
    { numRuns: 3000 },
  )
})

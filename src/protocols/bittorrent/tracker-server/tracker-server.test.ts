import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { SeededRandom } from '../../../core/random.js'
import { instant } from '../../../core/time.js'
import { buildAnnounceUrl, parseAnnounceResponse } from '../tracker/index.js'
import { parseAnnounceQuery } from './query.js'
import { TrackerRegistry } from './registry.js'

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => i * 13)
const peer = (n: number): Uint8Array => Uint8Array.from({ length: 20 }, () => n)
const queryOf = (n: number, port: number, left: number, event = 'started' as const) =>
  new URL(
    buildAnnounceUrl('http://t/announce', {
      infoHash,
      peerId: peer(n),
      port,
      uploaded: 0,
      downloaded: 0,
      left,
      event,
    }),
  ).search.slice(1)

test('parses what our own client sends, binary info_hash included', () => {
  const parsed = parseAnnounceQuery(queryOf(1, 6881, 100))
  assert.ok(parsed.ok)
  assert.deepEqual([...parsed.value.infoHash], [...infoHash])
  assert.equal(parsed.value.port, 6881)
  assert.equal(parsed.value.event, 'started')
  assert.equal(parsed.value.left, 100)
})

test('refuses malformed announces with a reason', () => {
  const cases: [string, RegExp][] = [
    ['peer_id=aaaaaaaaaaaaaaaaaaaa&port=1', /missing info_hash/],
    ['info_hash=abc&peer_id=aaaaaaaaaaaaaaaaaaaa&port=1', /20 bytes/],
    [`info_hash=${'a'.repeat(20)}&port=1`, /missing peer_id/],
    [`info_hash=${'a'.repeat(20)}&peer_id=${'b'.repeat(20)}&port=0`, /port/],
    [`info_hash=${'a'.repeat(20)}&peer_id=${'b'.repeat(20)}&port=70000`, /port/],
    [`info_hash=${'a'.repeat(20)}&peer_id=${'b'.repeat(20)}&port=1&left=-1`, /left/],
    [`info_hash=${'a'.repeat(20)}&peer_id=${'b'.repeat(20)}&port=1&event=x`, /event/],
    [`info_hash=%zz&peer_id=${'b'.repeat(20)}&port=1`, /percent/],
    [`info_hash=${'a'.repeat(20)}&info_hash=${'a'.repeat(20)}`, /repeated/],
    ['x'.repeat(5000), /too long/],
  ]
  for (const [query, reason] of cases) {
    const parsed = parseAnnounceQuery(query)
    assert.ok(!parsed.ok, query)
    assert.match(parsed.error, reason, query)
  }
})

test('query parsing never throws', () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (query) => void parseAnnounceQuery(query)))
})

test('announces build a swarm; replies list the others; stopped leaves; counts are kept', () => {
  const registry = new TrackerRegistry(new SeededRandom(1))
  const announce = (n: number, left: number, event?: 'completed' | 'stopped') => {
    const parsed = parseAnnounceQuery(queryOf(n, 7000 + n, left, event as 'started'))
    assert.ok(parsed.ok)
    const body = registry.announce(instant(0), parsed.value, `127.0.0.${n}`)
    const response = parseAnnounceResponse(body)
    assert.ok(response.ok, response.ok ? '' : response.error.message)
    return response.value
  }
  assert.deepEqual(announce(1, 0).peers, [])
  const second = announce(2, 50)
  assert.deepEqual(second.peers, [{ host: '127.0.0.1', port: 7001 }])
  assert.equal(second.complete, 1)
  assert.equal(second.incomplete, 1)
  announce(2, 0, 'completed')
  assert.deepEqual(registry.stats(infoHash), { complete: 2, incomplete: 0, downloaded: 1 })
  announce(1, 0, 'stopped')
  assert.equal(registry.stats(infoHash).complete, 1)
})

test('peers that stop announcing expire after two intervals', () => {
  const registry = new TrackerRegistry(new SeededRandom(1))
  const parsed = parseAnnounceQuery(queryOf(1, 7001, 10))
  const other = parseAnnounceQuery(queryOf(2, 7002, 10))
  assert.ok(parsed.ok && other.ok)
  registry.announce(instant(0), parsed.value, '127.0.0.1')
  const later = registry.announce(instant(241_000), other.value, '127.0.0.2')
  const response = parseAnnounceResponse(later)
  assert.ok(response.ok)
  assert.deepEqual(response.value.peers, [])
})

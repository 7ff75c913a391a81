/**
 * Our own BitTorrent client's tracker code (src/protocols/bittorrent/tracker) talking to this
 * server core: its URL builder and BEP 15 encoder produce the requests, its parsers read the
 * answers. Two independent implementations of the same BEPs agreeing is the cheap interop test.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  parseAnnounceResponse,
  parseScrapeResponse,
} from '../../bittorrent/tracker/http-response.js'
import { buildAnnounceUrl, buildScrapeUrl } from '../../bittorrent/tracker/http-url.js'
import { decodeUdpTrackerResponse } from '../../bittorrent/tracker/udp-decode.js'
import { encodeUdpTrackerMessage } from '../../bittorrent/tracker/udp-encode.js'
import { id20, makeTracker, T0, udpExchange, v4, v6 } from './fixtures.test.js'

const queryOf = (url: string): string => url.slice(url.indexOf('?') + 1)

test('HTTP: the client URL builder and response parsers agree with the server', () => {
  const tracker = makeTracker()
  const announce = (peer: number, left: number, from = v4(peer)) =>
    parseAnnounceResponse(
      tracker.handleHttpAnnounce(
        queryOf(
          buildAnnounceUrl('http://t.example/announce', {
            infoHash: id20(1),
            peerId: id20(2, peer),
            port: 7000 + peer,
            uploaded: 0,
            downloaded: 0,
            left,
            event: 'started',
            key: 12345,
          }),
        ),
        from,
        T0,
      ),
    )
  assert.ok(announce(1, 0).ok)
  assert.ok(announce(2, 10, v6(2)).ok)
  const third = announce(3, 10)
  assert.ok(third.ok)
  assert.equal(third.value.complete, 1)
  assert.equal(third.value.incomplete, 2)
  assert.deepEqual([...third.value.peers].map((p) => `${p.host}:${p.port}`).sort(), [
    '10.0.0.1:7001',
    '2001:db8::2:7002',
  ])
  const scrape = parseScrapeResponse(
    tracker.handleHttpScrape(
      queryOf(buildScrapeUrl('http://t.example/scrape', [id20(1)])),
      v4(9),
      T0,
    ),
  )
  assert.ok(scrape.ok)
  assert.deepEqual(scrape.value.files[0], {
    infoHash: id20(1),
    complete: 1,
    downloaded: 0,
    incomplete: 2,
  })
})

test('BEP 15: the client encoder and decoder agree with the server over IPv4 and IPv6', () => {
  for (const [family, from, other] of [
    ['ipv4', v4(1), v4(2)],
    ['ipv6', v6(1), v6(2)],
  ] as const) {
    const tracker = makeTracker()
    const exchange = (who: typeof from, message: Parameters<typeof encodeUdpTrackerMessage>[0]) => {
      const [answer] = udpExchange(tracker, who, encodeUdpTrackerMessage(message, family))
      assert.ok(answer !== undefined)
      const decoded = decodeUdpTrackerResponse(answer, family)
      assert.ok(decoded.ok, 'the answer decodes')
      return decoded.value
    }
    const connectionIdOf = (who: typeof from): bigint => {
      const response = exchange(who, { type: 'connect_request', transactionId: 1 })
      assert.equal(response.type, 'connect_response')
      return response.type === 'connect_response' ? response.connectionId : 0n
    }
    const announce = (who: typeof from, peer: number, left: number) =>
      exchange(who, {
        type: 'announce_request',
        connectionId: connectionIdOf(who),
        transactionId: 2,
        infoHash: id20(1),
        peerId: id20(2, peer),
        downloaded: 0,
        left,
        uploaded: 0,
        event: 'started',
        key: 1,
        numWant: -1,
        port: 7000 + peer,
      })
    announce(from, 1, 0)
    const response = announce(other, 2, 5)
    assert.equal(response.type, 'announce_response')
    if (response.type !== 'announce_response') continue
    assert.equal(response.seeders, 1)
    assert.equal(response.leechers, 1)
    assert.deepEqual(response.peers, [{ host: from.host, port: 7001 }])
    const scrape = exchange(other, {
      type: 'scrape_request',
      connectionId: connectionIdOf(other),
      transactionId: 3,
      infoHashes: [id20(1)],
    })
    assert.deepEqual(scrape, {
      type: 'scrape_response',
      transactionId: 3,
      entries: [{ seeders: 1, completed: 0, leechers: 1 }],
    })
  }
})

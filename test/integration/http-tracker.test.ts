import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address } from '../../src/core/address.js'
import { SeededRandom } from '../../src/core/random.js'
import { NodeClock } from '../../src/drivers/node/clock.js'
import { startHttpTracker } from '../../src/drivers/node/http-tracker.js'
import {
  buildAnnounceUrl,
  parseAnnounceResponse,
} from '../../src/protocols/bittorrent/tracker/index.js'

test('the minimal HTTP tracker answers announces over real HTTP on 127.0.0.1', async () => {
  const tracker = await startHttpTracker({
    local: address('127.0.0.1', 0),
    clock: new NodeClock(),
    random: new SeededRandom(1),
  })
  try {
    const infoHash = new Uint8Array(20).fill(7)
    const get = async (n: number) => {
      const url = buildAnnounceUrl(tracker.announceUrl, {
        infoHash,
        peerId: new Uint8Array(20).fill(n),
        port: 6000 + n,
        uploaded: 0,
        downloaded: 0,
        left: 1,
        event: 'started',
      })
      const response = await fetch(url)
      return parseAnnounceResponse(new Uint8Array(await response.arrayBuffer()))
    }
    await get(1)
    const second = await get(2)
    assert.ok(second.ok)
    assert.deepEqual(second.value.peers, [{ host: '127.0.0.1', port: 6001 }])
    const refused = await fetch(`${tracker.announceUrl}?port=1`)
    const body = parseAnnounceResponse(new Uint8Array(await refused.arrayBuffer()))
    assert.ok(!body.ok && body.error.code === 'tracker_failure')
    assert.match(body.error.message, /info_hash/)
  } finally {
    await tracker.close()
  }
})

test('the minimal HTTP tracker refuses in bencode: 405, 404, 414, one request per connection', async () => {
  const tracker = await startHttpTracker({
    local: address('127.0.0.1', 0),
    clock: new NodeClock(),
    random: new SeededRandom(1),
  })
  const base = `http://127.0.0.1:${tracker.address.port}`
  try {
    const cases: [string, string, number, string][] = [
      ['POST', '/announce', 405, 'only GET is supported'],
      ['HEAD', '/announce', 405, ''],
      ['GET', '/elsewhere?x=1', 404, 'no such endpoint: /elsewhere'],
      ['GET', `/announce?x=${'a'.repeat(8200)}`, 414, 'request URL too long'],
    ]
    for (const [method, path, status, reason] of cases) {
      const response = await fetch(`${base}${path}`, { method })
      assert.equal(response.status, status, `${method} ${path}`)
      assert.equal(response.headers.get('connection'), 'close')
      const body = Buffer.from(await response.arrayBuffer()).toString()
      if (reason !== '') assert.equal(body, `d14:failure reason${reason.length}:${reason}e`)
    }
  } finally {
    await tracker.close()
  }
})

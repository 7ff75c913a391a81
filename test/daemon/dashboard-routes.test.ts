import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import Fastify from 'fastify'
import { DASHBOARD_CSP, registerDashboardRoutes } from '../../src/daemon/api/dashboard-routes.js'
import { torrentUpload, withDaemon } from './harness.js'
import { sampleTorrent } from './memory-peer.js'

const noToken = { headers: { authorization: '' } }

test('the dashboard files are served without the token, with a strict CSP; the API still needs it', async () => {
  await withDaemon(async ({ request }) => {
    const page = await request('/', noToken)
    assert.equal(page.status, 200)
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8')
    assert.equal(page.headers.get('content-security-policy'), DASHBOARD_CSP)
    assert.match(DASHBOARD_CSP, /^default-src 'self'/)
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff')
    const html = await page.text()
    assert.match(html, /<script type="module" src="\/assets\/app\.js"><\/script>/)
    assert.doesNotMatch(html, /https?:\/\//, 'the page names no other origin')

    const script = await request('/assets/app.js', noToken)
    assert.equal(script.status, 200)
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8')
    assert.ok((await script.text()).length > 1000)
    const style = await request('/assets/app.css', noToken)
    assert.equal(style.headers.get('content-type'), 'text/css; charset=utf-8')

    const missing = await request('/assets/nope.js', noToken)
    assert.equal(missing.status, 404)
    assert.equal(((await missing.json()) as { code: string }).code, 'not_found')
    // A path outside the bundle is not a way around the token.
    for (const path of ['/assets/../api/v1/torrents', '/api/v1/torrents', '/index.html']) {
      const refused = await request(path, noToken)
      assert.notEqual(refused.status, 200, path)
    }
    assert.equal((await request('/api/v1/torrents', noToken)).status, 401)
    // The static routes stay out of the API's OpenAPI document.
    const doc = (await (await request('/api/v1/openapi.json')).json()) as {
      paths: Record<string, unknown>
    }
    assert.deepEqual(
      Object.keys(doc.paths).filter((p) => !p.startsWith('/api/v1') && p !== '/metrics'),
      [],
    )
  })
})

test('without a built bundle the page says how to build it', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'plexus-no-dashboard-'))
  const app = Fastify()
  try {
    registerDashboardRoutes(app, empty)
    const answer = await app.inject({ method: 'GET', url: '/' })
    assert.notEqual(answer.statusCode, 200)
    assert.match(answer.body, /npm run build/)
    assert.notEqual((await app.inject({ method: 'GET', url: '/assets/app.js' })).statusCode, 200)
  } finally {
    await app.close()
    rmSync(empty, { recursive: true, force: true })
  }
})

test('piece map and swarm peers: 404 for an unknown torrent, not live without a swarm', async () => {
  await withDaemon(async ({ request }) => {
    const unknown = 'ab'.repeat(20)
    assert.equal((await request(`/api/v1/torrents/${unknown}/pieces`)).status, 404)
    assert.equal((await request(`/api/v1/torrents/${unknown}/swarm`)).status, 404)
    assert.equal((await request(`/api/v1/torrents/${unknown}/pieces`, noToken)).status, 401)
    const [path, init] = torrentUpload(sampleTorrent('photos', [{ path: ['a'], length: 100 }]))
    const added = (await (await request(path, init)).json()) as { infoHash: string }
    const pieces = await request(`/api/v1/torrents/${added.infoHash}/pieces`)
    assert.equal(pieces.status, 200)
    // The memory peer runs no swarm: the answer says so instead of showing empty pieces.
    assert.deepEqual(await pieces.json(), { live: false, pieces: 1, states: '', availability: [] })
    const swarm = await request(`/api/v1/torrents/${added.infoHash.toUpperCase()}/swarm`)
    assert.deepEqual(await swarm.json(), { peers: [] })
  })
})

test('DHT buckets: not enabled without a DHT; the token required', async () => {
  await withDaemon(async ({ request }) => {
    assert.equal((await request('/api/v1/dht/buckets', noToken)).status, 401)
    const answer = await request('/api/v1/dht/buckets')
    assert.deepEqual(await answer.json(), { enabled: false, buckets: [] })
  })
})

test('DHT lookups: not enabled without a DHT; newest first with their traces when it runs', async () => {
  await withDaemon(async ({ request, peer }) => {
    assert.equal((await request('/api/v1/dht/lookups', noToken)).status, 401)
    assert.deepEqual(await (await request('/api/v1/dht/lookups')).json(), {
      enabled: false,
      lookups: [],
    })
    const lookup = {
      seq: 6,
      kind: 'get_peers',
      target: '07'.repeat(20),
      finishedMsAgo: 1500,
      durationMs: 320,
      hops: 2,
      nodesContacted: 9,
      messages: 11,
      perHop: [
        { depth: 0, queried: 3, answered: 3 },
        { depth: 1, queried: 6, answered: 4 },
      ],
      peersFound: 2,
      stored: 0,
    }
    const ping = { ...lookup, seq: 7, kind: 'ping', hops: 1, perHop: [], finishedMsAgo: 100 }
    peer.lookups = [ping, lookup]
    assert.deepEqual(await (await request('/api/v1/dht/lookups')).json(), {
      enabled: true,
      lookups: [ping, lookup],
    })
  })
})

test('DHT stored: not enabled without a DHT; swarms and items as the peer lists them', async () => {
  await withDaemon(async ({ request, peer }) => {
    assert.equal((await request('/api/v1/dht/stored', noToken)).status, 401)
    assert.deepEqual(await (await request('/api/v1/dht/stored')).json(), {
      enabled: false,
      swarms: [],
      swarmsTotal: 0,
      items: [],
      itemsTotal: 0,
    })
    const swarm = {
      infoHash: '0a'.repeat(20),
      peers: 3,
      seeds: 1,
      oldestAnnounceMsAgo: 90_000,
      newestAnnounceMsAgo: 4_000,
    }
    const mutable = {
      target: '0b'.repeat(20),
      mutable: true,
      publicKey: '0c'.repeat(32),
      seq: 5,
      valueBytes: 120,
      storedMsAgo: 2_000,
    }
    const immutable = {
      target: '0d'.repeat(20),
      mutable: false,
      valueBytes: 13,
      storedMsAgo: 9_000,
    }
    peer.stored = { swarms: [swarm], swarmsTotal: 1, items: [mutable, immutable], itemsTotal: 2 }
    const answer = await request('/api/v1/dht/stored')
    assert.equal(answer.status, 200)
    assert.deepEqual(await answer.json(), {
      enabled: true,
      swarms: [swarm],
      swarmsTotal: 1,
      items: [mutable, immutable],
      itemsTotal: 2,
    })
  })
})

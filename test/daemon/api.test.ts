import assert from 'node:assert/strict'
import { statSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import type { TorrentDetail, TorrentStatus } from '../../src/peer/types.js'
import { infoHashOf, sampleTorrent } from './memory-peer.js'
import { jsonBody, torrentUpload, withDaemon } from './harness.js'

interface ErrorBody {
  readonly type: string
  readonly code: string
  readonly message: string
}

const errorOf = async (response: Response, status: number, code: string): Promise<ErrorBody> => {
  const body = (await response.json()) as ErrorBody
  assert.equal(response.status, status, JSON.stringify(body))
  assert.equal(body.type, 'error')
  assert.equal(body.code, code, body.message)
  return body
}

test('every route refuses a missing or wrong token with 401, and no CORS header is sent', async () => {
  await withDaemon(async ({ request }, dataDir) => {
    assert.equal(statSync(join(dataDir, 'api-token')).mode & 0o777, 0o600)
    const paths = [
      '/api/v1/torrents',
      '/api/v1/dht',
      '/api/v1/settings',
      '/api/v1/plugins',
      '/metrics',
      '/api/v1/nope',
    ]
    for (const path of paths) {
      const missing = await request(path, { headers: { authorization: '' } })
      await errorOf(missing, 401, 'unauthorized')
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer')
      const wrong = await request(path, { headers: { authorization: `Bearer ${'0'.repeat(64)}` } })
      await errorOf(wrong, 401, 'unauthorized')
    }
    // An upload without the token is refused before its body is read.
    const [path, init] = torrentUpload(sampleTorrent('x'))
    await errorOf(
      await request(path, { ...init, headers: { authorization: 'Basic x' } }),
      401,
      'unauthorized',
    )
    const fromPage = await request('/api/v1/torrents', {
      headers: { origin: 'http://evil.example' },
    })
    assert.equal(fromPage.status, 200)
    assert.equal(fromPage.headers.get('access-control-allow-origin'), null)
  })
})

test('add by upload, then list, details, files, peers, trackers; a second add is 409', async () => {
  await withDaemon(async ({ request }) => {
    const torrent = sampleTorrent('photos', [
      { path: ['a.jpg'], length: 1000 },
      { path: ['b.jpg'], length: 2000 },
    ])
    const infoHash = infoHashOf(torrent)
    const added = await request(...torrentUpload(torrent, '?saveDir=pics&skip=1'))
    assert.equal(added.status, 201)
    const status = (await added.json()) as TorrentStatus
    assert.equal(status.infoHash, infoHash)
    assert.equal(status.name, 'photos')
    assert.equal(status.saveDir, 'pics')
    const list = (await (await request('/api/v1/torrents')).json()) as { torrents: TorrentStatus[] }
    assert.deepEqual(
      list.torrents.map((t) => t.infoHash),
      [infoHash],
    )
    const detail = (await (
      await request(`/api/v1/torrents/${infoHash.toUpperCase()}`)
    ).json()) as TorrentDetail
    assert.equal(detail.length, 3000)
    const files = (await (await request(`/api/v1/torrents/${infoHash}/files`)).json()) as {
      files: { priority: number }[]
    }
    assert.deepEqual(
      files.files.map((f) => f.priority),
      [4, 0],
    )
    assert.deepEqual(await (await request(`/api/v1/torrents/${infoHash}/peers`)).json(), {
      peers: [],
    })
    assert.deepEqual(await (await request(`/api/v1/torrents/${infoHash}/trackers`)).json(), {
      trackers: [],
    })
    await errorOf(await request(...torrentUpload(torrent)), 409, 'duplicate')
  })
})

test('malformed, oversized and invalid requests get 400, 413, 415 and 422', async () => {
  await withDaemon(async ({ request }) => {
    const malformed = await request('/api/v1/torrents', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"magnet": ',
    })
    await errorOf(malformed, 400, 'malformed_json')
    await errorOf(
      await request('/api/v1/torrents', jsonBody('POST', { nope: 1 })),
      400,
      'invalid_request',
    )
    await errorOf(await request('/api/v1/torrents', jsonBody('POST', {})), 400, 'invalid_request')
    const bigJson = jsonBody('POST', { magnet: 'x'.repeat(70 * 1024) })
    await errorOf(await request('/api/v1/torrents', bigJson), 413, 'too_large')
    const bigUpload = new Uint8Array(10 * 1024 * 1024 + 1)
    await errorOf(await request(...torrentUpload(bigUpload)), 413, 'too_large')
    const text = await request('/api/v1/torrents', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'magnet:?',
    })
    await errorOf(text, 415, 'unsupported_media_type')
    await errorOf(
      await request(...torrentUpload(new TextEncoder().encode('d4:spam'))),
      422,
      'invalid_torrent',
    )
    const magnet = jsonBody('POST', { magnet: 'magnet:?xt=urn:btih:zz' })
    await errorOf(await request('/api/v1/torrents', magnet), 422, 'invalid_magnet')
    const escape = torrentUpload(sampleTorrent('x'), '?saveDir=../etc')
    await errorOf(await request(...escape), 422, 'invalid_save_dir')
    const nothingLeft = torrentUpload(sampleTorrent('x'), '?skip=0')
    await errorOf(await request(...nothingLeft), 422, 'invalid_selection')
    const outOfRange = torrentUpload(sampleTorrent('x'), '?only=5')
    await errorOf(await request(...outOfRange), 422, 'invalid_selection')
    await errorOf(await request('/api/v1/torrents/abc'), 400, 'invalid_request')
  })
})

test('an unknown info-hash is 404 on every torrent route', async () => {
  await withDaemon(async ({ request }) => {
    const id = 'ab'.repeat(20)
    const calls: [string, RequestInit?][] = [
      [`/api/v1/torrents/${id}`],
      [`/api/v1/torrents/${id}/files`],
      [`/api/v1/torrents/${id}/files`, jsonBody('PUT', { priorities: [1] })],
      [`/api/v1/torrents/${id}/peers`],
      [`/api/v1/torrents/${id}/trackers`],
      [`/api/v1/torrents/${id}/pause`, { method: 'POST' }],
      [`/api/v1/torrents/${id}/resume`, { method: 'POST' }],
      [`/api/v1/torrents/${id}`, { method: 'DELETE' }],
    ]
    for (const [path, init] of calls) await errorOf(await request(path, init), 404, 'not_found')
  })
})

test('magnets: added, fetching metadata; only/skip and priorities wait for the metadata', async () => {
  await withDaemon(async ({ request }) => {
    const infoHash = 'cd'.repeat(20)
    const uri = `magnet:?xt=urn:btih:${infoHash}&dn=film`
    const added = await request('/api/v1/torrents', jsonBody('POST', { magnet: uri, paused: true }))
    assert.equal(added.status, 201)
    const status = (await added.json()) as TorrentStatus
    assert.equal(status.name, 'film')
    assert.equal(status.state, 'paused')
    const withSelection = jsonBody('POST', {
      magnet: `magnet:?xt=urn:btih:${'ef'.repeat(20)}`,
      only: [0],
    })
    await errorOf(await request('/api/v1/torrents', withSelection), 422, 'invalid_selection')
    const priorities = jsonBody('PUT', { priorities: [1] })
    await errorOf(
      await request(`/api/v1/torrents/${infoHash}/files`, priorities),
      409,
      'no_metadata',
    )
    await errorOf(
      await request('/api/v1/torrents', jsonBody('POST', { magnet: uri })),
      409,
      'duplicate',
    )
  })
})

test('file priorities, pause, resume and remove (with data) are applied and remembered', async () => {
  await withDaemon(async ({ request, peer }, dataDir) => {
    const torrent = sampleTorrent('two', [
      { path: ['a'], length: 10 },
      { path: ['b'], length: 10 },
    ])
    const infoHash = infoHashOf(torrent)
    assert.equal((await request(...torrentUpload(torrent))).status, 201)
    const wrongCount = jsonBody('PUT', { priorities: [1] })
    await errorOf(
      await request(`/api/v1/torrents/${infoHash}/files`, wrongCount),
      422,
      'invalid_priorities',
    )
    await errorOf(
      await request(`/api/v1/torrents/${infoHash}/files`, jsonBody('PUT', { priorities: [9, 1] })),
      400,
      'invalid_request',
    )
    const set = await request(
      `/api/v1/torrents/${infoHash}/files`,
      jsonBody('PUT', { priorities: [7, 0] }),
    )
    assert.equal(set.status, 200)
    const files = ((await set.json()) as { files: { priority: number }[] }).files
    assert.deepEqual(
      files.map((f) => f.priority),
      [7, 0],
    )
    const paused = await request(`/api/v1/torrents/${infoHash}/pause`, { method: 'POST' })
    assert.equal(((await paused.json()) as TorrentStatus).state, 'paused')
    const saved = JSON.parse(readFileSync(join(dataDir, 'torrents.json'), 'utf8')) as {
      torrents: { infoHash: string; paused: boolean; filePriorities: number[] }[]
    }
    assert.deepEqual(saved.torrents, [
      { infoHash, saveDir: '', paused: true, filePriorities: [7, 0] },
    ])
    const resumed = await request(`/api/v1/torrents/${infoHash}/resume`, { method: 'POST' })
    assert.equal(((await resumed.json()) as TorrentStatus).state, 'downloading')
    assert.ok(existsSync(join(dataDir, 'torrents', `${infoHash}.torrent`)))
    const removed = await request(`/api/v1/torrents/${infoHash}?deleteData=true`, {
      method: 'DELETE',
    })
    assert.equal(removed.status, 204)
    assert.equal(peer.torrents.size, 0)
    assert.ok(!existsSync(join(dataDir, 'torrents', `${infoHash}.torrent`)))
    const after = JSON.parse(readFileSync(join(dataDir, 'torrents.json'), 'utf8')) as {
      torrents: []
    }
    assert.deepEqual(after.torrents, [])
    await errorOf(
      await request(`/api/v1/torrents/${infoHash}?deleteData=maybe`, { method: 'DELETE' }),
      400,
      'invalid_request',
    )
  })
})

test('dht status and settings; a bad settings body is 400', async () => {
  await withDaemon(async ({ request, peer }) => {
    const dht = (await (await request('/api/v1/dht')).json()) as { enabled: boolean; nodes: number }
    assert.equal(dht.enabled, true)
    assert.equal(dht.nodes, 12)
    peer.dht = undefined
    assert.deepEqual(await (await request('/api/v1/dht')).json(), { enabled: false })
    const fixed = { listenPort: 6881, dhtEnabled: false }
    assert.deepEqual(await (await request('/api/v1/settings')).json(), {
      uploadRateLimit: 0,
      downloadRateLimit: 0,
      connectionsMax: 200,
      ...fixed,
    })
    const put = await request('/api/v1/settings', jsonBody('PUT', { uploadRateLimit: 51200 }))
    assert.deepEqual(await put.json(), {
      uploadRateLimit: 51200,
      downloadRateLimit: 0,
      connectionsMax: 200,
      ...fixed,
    })
    assert.equal(peer.limits().uploadRateLimit, 51200)
    for (const bad of [{ uploadRateLimit: -1 }, { upload: 5 }, { downloadRateLimit: 'fast' }]) {
      await errorOf(await request('/api/v1/settings', jsonBody('PUT', bad)), 400, 'invalid_request')
    }
  })
})

test('settings: the connection limit, the listen port and the DHT change at run time', async () => {
  await withDaemon(async ({ request, peer }) => {
    const before = (await (await request('/api/v1/settings')).json()) as Record<string, unknown>
    assert.equal(before['dhtEnabled'], true)
    assert.equal(before['dhtPort'], 6881, 'from the DHT address 127.0.0.1:6881')
    const put = await request('/api/v1/settings', jsonBody('PUT', { connectionsMax: 40 }))
    assert.equal(((await put.json()) as { connectionsMax: number }).connectionsMax, 40)
    assert.equal(peer.limits().connectionsMax, 40)
    for (const connectionsMax of [0, 1.5, -3, 'many']) {
      const refused = await request('/api/v1/settings', jsonBody('PUT', { connectionsMax }))
      await errorOf(refused, 400, 'invalid_request')
    }
    // The listen port moves; the DHT stops, then starts again with the config file's settings.
    const moved = await request('/api/v1/settings', jsonBody('PUT', { listenPort: 7000 }))
    assert.equal(((await moved.json()) as { listenPort: number }).listenPort, 7000)
    assert.equal(peer.listenAddress.port, 7000)
    const off = await request('/api/v1/settings', jsonBody('PUT', { dhtEnabled: false }))
    assert.equal(((await off.json()) as { dhtEnabled: boolean }).dhtEnabled, false)
    const on = await request('/api/v1/settings', jsonBody('PUT', { dhtEnabled: true }))
    assert.equal(((await on.json()) as { dhtEnabled: boolean }).dhtEnabled, true)
    assert.equal(peer.dhtChanges[0], false)
    assert.equal((peer.dhtChanges[1] as { statePath?: string }).statePath, 'dht.state')
    // A port in use (the double's port 1) is a conflict, and nothing changed.
    const taken = await request(
      '/api/v1/settings',
      jsonBody('PUT', { listenPort: 1, connectionsMax: 9 }),
    )
    await errorOf(taken, 409, 'address_in_use')
    assert.equal(peer.listenAddress.port, 7000)
    assert.equal(peer.limits().connectionsMax, 40)
    for (const body of [
      { listenPort: 70000 },
      { listenPort: -1 },
      { dhtEnabled: 'yes' },
      { dhtPort: 7001 },
    ]) {
      await errorOf(
        await request('/api/v1/settings', jsonBody('PUT', body)),
        400,
        'invalid_request',
      )
    }
  })
})

test('sequential mode from the query of an upload reaches the peer; default rarest first', async () => {
  await withDaemon(async ({ request, peer }) => {
    const streamed = await request(...torrentUpload(sampleTorrent('film'), '?sequential=true'))
    assert.equal(streamed.status, 201)
    await request(...torrentUpload(sampleTorrent('other')))
    assert.deepEqual(
      peer.adds.map((add) => add.sequential),
      [true, undefined],
    )
  })
})

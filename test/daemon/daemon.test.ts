import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { startDaemon } from '../../src/daemon/daemon.js'
import { fetchFromDirectory } from '../../src/daemon/directory-fetch.js'
import type { TorrentStatus } from '../../src/peer/types.js'
import {
  startTestDaemon,
  testConfig,
  jsonBody,
  torrentUpload,
  withDaemon,
  withDataDir,
} from './harness.js'
import { infoHashOf, MemoryPeer, sampleTorrent } from './memory-peer.js'

/** Reads server-sent events until `until` matches one; returns the events seen. */
async function readEvents(
  response: Response,
  until: (event: { type: string; [key: string]: unknown }) => boolean,
  onOpen: () => void,
): Promise<{ type: string; [key: string]: unknown }[]> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  const events: { type: string; [key: string]: unknown }[] = []
  let buffer = ''
  let opened = false
  for (;;) {
    const { value, done } = await reader.read()
    if (done) throw new Error('event stream ended early')
    buffer += decoder.decode(value, { stream: true })
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const data = /^data: (.*)$/m.exec(block)?.[1]
      const name = /^event: (.*)$/m.exec(block)?.[1]
      if (data === undefined) continue
      const event = JSON.parse(data) as { type: string }
      assert.equal(name, event.type)
      events.push(event)
      if (until(event)) {
        await reader.cancel()
        return events
      }
    }
    if (!opened) {
      opened = true
      onOpen()
    }
  }
}

test('events: a stats event at once, the peer events, and periodic stats', async () => {
  await withDaemon(
    async ({ request, peer }) => {
      const response = await request('/api/v1/events')
      assert.equal(response.status, 200)
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/)
      const torrent = sampleTorrent('live')
      // Kept and awaited: the stream can show the torrent before the upload's answer arrives,
      // and an answer still in flight when the daemon closes would fail after the test.
      let upload: Promise<Response> | undefined
      const events = await readEvents(
        response,
        (event) => event.type === 'stats' && (event['torrents'] as unknown[]).length === 1,
        () => {
          upload = request(...torrentUpload(torrent))
        },
      )
      assert.equal((await upload)?.status, 201)
      assert.equal(events[0]?.type, 'stats')
      assert.ok(
        events.some((e) => e.type === 'torrent_added' && e['infoHash'] === infoHashOf(torrent)),
      )
      // The stream's subscription ends with the client.
      for (let i = 0; i < 50 && peer.listenerCount > 2; i++)
        await new Promise((r) => setImmediate(r))
      assert.equal(
        peer.listenerCount,
        2,
        'the daemon and the metrics stay subscribed, the stream not',
      )
    },
    { statsIntervalMs: 20 },
  )
})

test('metrics: Prometheus text with rates, totals, torrents by state, DHT and errors', async () => {
  await withDaemon(async ({ request, peer }) => {
    const torrent = sampleTorrent('m')
    const infoHash = infoHashOf(torrent)
    await request(...torrentUpload(torrent))
    peer.progress(infoHash, { downloadedBytes: 5000, downloadRate: 100, peers: 3 })
    const first = await request('/metrics')
    assert.equal(first.status, 200)
    assert.match(first.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
    const text = await first.text()
    assert.match(text, /^plexus_torrents\{state="downloading"\} 1$/m)
    assert.match(text, /^plexus_torrents\{state="paused"\} 0$/m)
    assert.match(text, /^plexus_downloaded_bytes_total 5000$/m)
    assert.match(text, /^plexus_download_rate_bytes 100$/m)
    assert.match(text, /^plexus_peers 3$/m)
    assert.match(text, /^plexus_dht_nodes 12$/m)
    assert.match(text, /^plexus_dht_lookups_total 3$/m)
    assert.match(text, /^plexus_process_resident_memory_bytes \d+/m)
    // The peer's own registry is served too.
    peer.registry.count('peer.listener.routed', 2)
    peer.registry.observe('dht.lookup_ms', 40)
    const own = await (await request('/metrics')).text()
    assert.match(own, /^plexus_peer_events_total\{name="peer\.listener\.routed"\} 2$/m)
    assert.match(own, /^plexus_peer_observations\{name="dht\.lookup_ms",stat="count"\} 1$/m)
    peer.emit({ type: 'torrent_state', infoHash, state: 'error', error: 'disk full' })
    // A removed torrent's bytes stay in the total: a counter never goes down.
    peer.progress(infoHash, { downloadedBytes: 7000 })
    const second = await (await request('/metrics')).text()
    assert.match(second, /^plexus_downloaded_bytes_total 7000$/m)
    assert.match(second, /^plexus_errors_total\{kind="torrent"\} 1$/m)
    await request(`/api/v1/torrents/${infoHash}`, { method: 'DELETE' })
    const third = await (await request('/metrics')).text()
    assert.match(third, /^plexus_downloaded_bytes_total 7000$/m)
  })
})

async function serve(
  handler: Parameters<typeof createServer>[1],
): Promise<{ server: Server; url: string }> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as { port: number }
  return { server, url: `http://127.0.0.1:${address.port}` }
}

test('add a directory search result: the .torrent comes from <directory>/torrents/<ih>.torrent', async () => {
  const torrent = sampleTorrent('from-directory')
  const infoHash = infoHashOf(torrent)
  const { server, url } = await serve((request, response) => {
    if (request.url === `/torrents/${infoHash}.torrent`) {
      response.writeHead(200, { 'content-type': 'application/x-bittorrent' }).end(torrent)
    } else response.writeHead(404).end('{"error":"no such torrent"}')
  })
  try {
    await withDaemon(
      async ({ request }) => {
        const added = await request(
          '/api/v1/torrents',
          jsonBody('POST', { directory: url, infoHash }),
        )
        assert.equal(added.status, 201)
        assert.equal(((await added.json()) as TorrentStatus).name, 'from-directory')
        const missing = jsonBody('POST', { directory: url, infoHash: 'ee'.repeat(20) })
        const answer = await request('/api/v1/torrents', missing)
        assert.equal(answer.status, 404)
        const noHash = await request('/api/v1/torrents', jsonBody('POST', { directory: url }))
        assert.equal(noHash.status, 400)
        const badUrl = jsonBody('POST', { directory: 'file:///etc/passwd', infoHash })
        assert.equal((await request('/api/v1/torrents', badUrl)).status, 422)
      },
      { fetchFromDirectory },
    )
  } finally {
    server.close()
  }
  // A directory that does not answer: 502, the daemon's upstream failed.
  await withDaemon(async ({ request }) => {
    const gone = jsonBody('POST', { directory: url, infoHash })
    const answer = await request('/api/v1/torrents', gone)
    assert.equal(answer.status, 502)
  })
})

test('restart: every torrent comes back, paused ones paused, with priorities and sequential mode', async () => {
  await withDataDir(async (dir) => {
    const first = await startTestDaemon(dir)
    const a = sampleTorrent('a', [
      { path: ['1'], length: 10 },
      { path: ['2'], length: 10 },
    ])
    const magnet = `magnet:?xt=urn:btih:${'12'.repeat(20)}&dn=m`
    await first.request(...torrentUpload(a, '?paused=true&only=1&saveDir=x/y'))
    await first.request('/api/v1/torrents', jsonBody('POST', { magnet, sequential: true }))
    const token = first.daemon.token
    await first.daemon.stop()
    assert.ok(first.peer.stopped, 'stop stops the peer (its resume data is flushed there)')
    assert.ok(!existsSync(join(dir, 'api.json')), 'api.json goes with the daemon')

    const second = await startTestDaemon(dir)
    try {
      assert.equal(second.daemon.token, token, 'the token is kept across restarts')
      assert.equal(second.daemon.restored, 2)
      const byKind = new Map(second.peer.adds.map((add) => [add.source.kind, add]))
      assert.deepEqual(byKind.get('metainfo')?.filePriorities, [0, 4])
      assert.equal(byKind.get('metainfo')?.paused, true)
      assert.equal(byKind.get('metainfo')?.saveDir, 'x/y')
      assert.deepEqual(byKind.get('magnet')?.source, { kind: 'magnet', uri: magnet })
      assert.equal(byKind.get('magnet')?.paused, false)
      // Sequential mode (streaming) is passed to the peer and kept across restarts.
      assert.equal(byKind.get('magnet')?.sequential, true)
      assert.equal(byKind.get('metainfo')?.sequential, undefined)
      const location = JSON.parse(readFileSync(join(dir, 'api.json'), 'utf8')) as { url: string }
      assert.equal(location.url, second.daemon.apiUrl)
    } finally {
      await second.daemon.stop()
    }
  })
})

test('a second daemon on the same data dir, or on a used API port, is refused in one line', async () => {
  await withDaemon(async ({ daemon }, dir) => {
    // api.json names a live process (this one, as another pid would): pretend it is another.
    const location = { url: daemon.apiUrl, pid: process.ppid }
    const { writeFileSync } = await import('node:fs')
    writeFileSync(join(dir, 'api.json'), JSON.stringify(location))
    await assert.rejects(
      startDaemon({ config: testConfig(dir), startPeer: () => Promise.resolve(new MemoryPeer()) }),
      /already uses this data dir/,
    )
    await withDataDir(async (other) => {
      const port = Number(new URL(daemon.apiUrl).port)
      const config = { ...testConfig(other), api: { bind: '127.0.0.1', port } }
      const peer = new MemoryPeer()
      await assert.rejects(
        startDaemon({ config, startPeer: () => Promise.resolve(peer) }),
        /^Error: API listen 127\.0\.0\.1:\d+: .*EADDRINUSE/,
      )
      assert.ok(peer.stopped, 'the peer started before the API is stopped again')
    })
  })
})

test('a data dir that vanished: an add is refused with 500 io, nothing half-added; the log is JSON lines', async () => {
  await withDaemon(async ({ request, peer }, dir) => {
    // The log is written through a stream: wait until its first line has reached the file.
    const logged = async (): Promise<{ msg: string; level: string }[]> => {
      for (let waited = 0; ; waited += 20) {
        const text = readFileSync(join(dir, 'daemon.log'), 'utf8')
        if (text.endsWith('\n') || waited > 5_000) {
          return text
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as { msg: string; level: string })
        }
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
    const started = await logged()
    assert.ok(started.some((line) => line.msg === 'daemon started' && line.level === 'info'))
    rmSync(join(dir, 'torrents'), { recursive: true, force: true })
    rmSync(join(dir, 'torrents.json'), { force: true })
    const answer = await request(...torrentUpload(sampleTorrent('lost')))
    assert.equal(answer.status, 500)
    const body = (await answer.json()) as { code: string; message: string }
    assert.equal(body.code, 'io')
    assert.match(body.message, /cannot save the \.torrent in the data dir: ENOENT/)
    assert.equal(peer.torrents.size, 0)
    const metrics = await (await request('/metrics')).text()
    assert.match(metrics, /^plexus_errors_total\{kind="api"\} 1$/m)
  })
})

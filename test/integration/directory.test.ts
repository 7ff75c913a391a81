import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { jsonLine } from '../../src/cli/spawn.js'
import { fromHex } from '../../src/core/bytes.js'
import {
  buildAnnounceUrl,
  buildScrapeUrl,
  parseAnnounceResponse,
  parseScrapeResponse,
} from '../../src/protocols/bittorrent/tracker/index.js'
import {
  makeTorrent,
  publishHttp,
  runPlexus,
  searchHttp,
  startDirectoryProcess,
  tempDir,
  type RunningDirectory,
} from './directory-helpers.js'

/** `plexus directory` as a real process on 127.0.0.1, driven over HTTP, UDP and the CLI. */

let directory: RunningDirectory
const dir = tempDir('it')

before(async () => {
  directory = await startDirectoryProcess(join(dir, 'index.sqlite'), ['--persist-every', '1'])
})

after(async () => {
  await directory.process.stop()
})

test('publish over HTTP, then search finds it by a prefix (JSON API); duplicates are 200', async () => {
  const torrent = makeTorrent('Plexus Integration Ubuntu 24.04')
  const first = await publishHttp(directory.url, torrent, 'alïce')
  assert.equal(first.status, 201, JSON.stringify(first.body))
  assert.equal(first.body['created'], true)
  const again = await publishHttp(directory.url, torrent)
  assert.equal(again.status, 200)
  assert.equal(again.body['created'], false)
  const found = await searchHttp(directory.url, 'integ ubun')
  assert.equal(found.length, 1)
  assert.equal(found[0]?.name, 'Plexus Integration Ubuntu 24.04')
  assert.equal(found[0]?.uploader, 'alïce')
  assert.equal(found[0]?.fileCount, 2)
  // File paths are indexed too.
  assert.ok((await searchHttp(directory.url, 'readme')).length >= 1)
  assert.equal((await searchHttp(directory.url, 'integration nosuchword')).length, 0)
})

test('plexus publish and plexus search --json', async () => {
  const file = join(dir, 'cli.torrent')
  writeFileSync(file, makeTorrent('Nosferatu 1922 restored'))
  const published = await runPlexus(['publish', file, '--directory', directory.url, '--json'])
  assert.equal(published.code, 0)
  assert.equal(jsonLine(published.lines[0] ?? '')?.type, 'published')
  const searched = await runPlexus(['search', 'nosfer', '--directory', directory.url, '--json'])
  assert.equal(searched.code, 0)
  const results = jsonLine(searched.lines[0] ?? '')?.['results'] as { name: string }[]
  assert.deepEqual(
    results.map((r) => r.name),
    ['Nosferatu 1922 restored'],
  )
  const unreachable = await runPlexus(['search', 'x', '--directory', 'http://127.0.0.1:9'])
  assert.equal(unreachable.code, 1)
})

test('announce and scrape over HTTP; counts reach the index', async () => {
  const published = await publishHttp(directory.url, makeTorrent('Swarm Counting Test'))
  const infoHashHex = (published.body['torrent'] as { infoHash: string }).infoHash
  const infoHash = fromHex(infoHashHex) as Uint8Array
  const announceUrl = `${directory.url}/announce`
  const announce = async (n: number, left: number) => {
    const url = buildAnnounceUrl(announceUrl, {
      infoHash,
      peerId: new Uint8Array(20).fill(n),
      port: 7000 + n,
      uploaded: 0,
      downloaded: 0,
      left,
      event: 'started',
    })
    const response = await fetch(url)
    assert.equal(response.status, 200)
    return parseAnnounceResponse(new Uint8Array(await response.arrayBuffer()))
  }
  assert.ok((await announce(1, 0)).ok)
  const second = await announce(2, 100)
  assert.ok(second.ok)
  assert.deepEqual(second.value.peers, [{ host: '127.0.0.1', port: 7001 }])
  const scrape = await fetch(buildScrapeUrl(`${directory.url}/scrape`, [infoHash]))
  const parsed = parseScrapeResponse(new Uint8Array(await scrape.arrayBuffer()))
  assert.ok(parsed.ok)
  assert.equal(parsed.value.files[0]?.complete, 1)
  assert.equal(parsed.value.files[0]?.incomplete, 1)
  // Live counts at once; the index's stored ones after the next persist (every second here).
  const deadline = Date.now() + 10_000
  for (;;) {
    const detail = (await (await fetch(`${directory.url}/api/torrents/${infoHashHex}`)).json()) as {
      seeders: number
      leechers: number
      live: { seeders: number }
      samples: unknown[]
    }
    assert.equal(detail.live.seeders, 1)
    if (detail.seeders === 1 && detail.leechers === 1 && detail.samples.length === 1) break
    assert.ok(Date.now() < deadline, `counts not persisted: ${JSON.stringify(detail)}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  const refused = await fetch(`${announceUrl}?port=1`)
  assert.match(Buffer.from(await refused.arrayBuffer()).toString(), /failure reason/)
})

test('the UDP tracker answers a BEP 15 connect on the same port', async () => {
  const socket = createSocket('udp4')
  try {
    const request = Buffer.alloc(16)
    request.writeBigUInt64BE(0x41727101980n, 0)
    request.writeUInt32BE(0, 8)
    request.writeUInt32BE(0xcafe, 12)
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no UDP answer')), 5000)
      socket.once('message', (message) => {
        clearTimeout(timer)
        resolve(message)
      })
      socket.send(request, directory.port, '127.0.0.1')
    })
    assert.equal(answer.length, 16)
    assert.equal(answer.readUInt32BE(0), 0)
    assert.equal(answer.readUInt32BE(4), 0xcafe)
  } finally {
    socket.close()
  }
})

test('a torrent named with HTML shows as text, with a CSP and nosniff', async () => {
  const name = '<script>alert(1)<img src=x onerror=alert(2)>'
  const published = await publishHttp(directory.url, makeTorrent(name), '<b>mallory</b>')
  assert.equal(published.status, 201)
  const infoHash = (published.body['torrent'] as { infoHash: string }).infoHash
  for (const path of ['/?q=script', `/torrent/${infoHash}`]) {
    const response = await fetch(`${directory.url}${path}`)
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/)
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff')
    const page = await response.text()
    assert.ok(page.includes('&lt;script&gt;alert(1)&lt;img src=x onerror=alert(2)&gt;'), path)
    assert.ok(page.includes('&lt;b&gt;mallory&lt;/b&gt;'), path)
    assert.ok(!page.includes('<script'), path)
    assert.ok(!page.includes('<img'), path)
  }
})

test('the .torrent download puts our tracker first and keeps the info-hash', async () => {
  const published = await publishHttp(directory.url, makeTorrent('Download Me'))
  const infoHash = (published.body['torrent'] as { infoHash: string }).infoHash
  const response = await fetch(`${directory.url}/torrents/${infoHash}.torrent`)
  assert.equal(response.status, 200)
  assert.equal(response.headers.get('content-type'), 'application/x-bittorrent')
  const { parseMetainfo } = await import('../../src/protocols/bittorrent/metainfo/index.js')
  const { NodeHashing } = await import('../../src/drivers/node/hashing.js')
  const parsed = parseMetainfo(new Uint8Array(await response.arrayBuffer()), new NodeHashing())
  assert.ok(parsed.ok)
  assert.equal(parsed.value.infoHashHex, infoHash)
  assert.equal(parsed.value.announce, `${directory.url}/announce`)
})

test('bad uploads and bad requests are refused cleanly; the server stays up', async () => {
  const garbage = await publishHttp(directory.url, new TextEncoder().encode('not a torrent'))
  assert.equal(garbage.status, 400)
  assert.match(String(garbage.body['error']), /not a valid \.torrent/)
  const empty = await publishHttp(directory.url, new Uint8Array(0))
  assert.equal(empty.status, 400)
  const huge = await fetch(`${directory.url}/api/torrents`, {
    method: 'POST',
    body: new Uint8Array(11 * 1024 * 1024),
  })
  assert.equal(huge.status, 413)
  const checks: [string, number][] = [
    ['/api/torrents?sort=evil', 400],
    ['/api/torrents?page=-1', 400],
    ['/api/torrents?q=%E0%A4%A', 200],
    ['/api/torrents/zz', 400],
    ['/torrent/%ZZ', 400],
    ['/torrents/0000000000000000000000000000000000000000.torrent', 404],
    ['/%%%', 404],
    ['/?q=%22%20OR%20NEAR(%22&sort=name', 200],
    [`/api/torrents?q=${'x'.repeat(9000)}`, 414],
  ]
  for (const [path, status] of checks) {
    const response = await fetch(`${directory.url}${path}`)
    assert.equal(response.status, status, path)
    await response.arrayBuffer()
  }
  const put = await fetch(`${directory.url}/api/torrents`, { method: 'PUT', body: 'x' })
  assert.equal(put.status, 405)
  assert.ok((await searchHttp(directory.url, '')).length >= 3)
})

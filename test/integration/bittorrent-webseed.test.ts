/**
 * Web seeds (BEP 19) through TorrentSession on loopback: a local node:http server serves the
 * torrent's files with Range support, and a leech downloads from it alone, through 503s,
 * from a server that serves corrupt bytes (banned, the rest comes from a peer), and from a
 * web seed and a plexus seed together.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { address } from '../../src/core/address.js'
import { ms } from '../../src/core/time.js'
import { createTorrent } from '../../src/drivers/bittorrent/create-torrent.js'
import {
  TorrentSession,
  type SessionEvent,
  type TorrentSessionOptions,
} from '../../src/drivers/bittorrent/session.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'
import { promised } from '../../src/drivers/promises.js'
import { parseMetainfo, type Metainfo } from '../../src/protocols/bittorrent/metainfo/index.js'
import { inlinePieceHashing } from '../../src/protocols/bittorrent/storage/index.js'

const base = mkdtempSync(join(tmpdir(), 'plexus-webseed-'))
after(() => rmSync(base, { recursive: true, force: true }))

const PIECE = 16 * 1024
const defer = (fn: () => void): void => void setImmediate(fn)

/** Sizes chosen so pieces cross file boundaries. */
const FILES: Record<string, number> = {
  'a.bin': 40_000,
  'sub dir/b.bin': 70_001,
  'sub dir/c.bin': 5,
  'd.bin': 100_000,
}

/** How the server treats one request: serve, refuse with a status, or corrupt the bytes. */
type Behaviour = (request: IncomingMessage) => 'serve' | 'corrupt' | number

interface WebServer {
  readonly url: string
  readonly requests: { path: string; status: number }[]
  close(): Promise<void>
}

/** Serves `root` with single Range support (206), as nginx or Apache would. */
async function serve(
  root: string,
  behave: Behaviour = () => 'serve',
  delayMs = 0,
): Promise<WebServer> {
  const requests: { path: string; status: number }[] = []
  const answer = (request: IncomingMessage, response: ServerResponse): void => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)
    const reply = (status: number, headers: Record<string, string> = {}, body?: Buffer): void => {
      requests.push({ path, status })
      response.writeHead(status, headers)
      response.end(body)
    }
    const action = behave(request)
    if (typeof action === 'number') return reply(action)
    let bytes: Buffer
    try {
      bytes = readFileSync(join(root, ...path.split('/').filter((c) => c !== '')))
    } catch {
      return reply(404)
    }
    const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '')
    if (range === null) return reply(200, {}, bytes)
    const start = Number(range[1])
    const end = Math.min(Number(range[2]), bytes.length - 1)
    const body = Buffer.from(bytes.subarray(start, end + 1))
    if (action === 'corrupt') body.fill(0x55)
    reply(206, { 'content-range': `bytes ${start}-${end}/${bytes.length}` }, body)
  }
  const server: Server = createServer((request, response) => {
    if (delayMs === 0) answer(request, response)
    else setTimeout(() => answer(request, response), delayMs)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** The files under `<dir>/share`, and the torrent with `webSeeds`. */
async function share(dir: string, webSeeds: readonly string[]): Promise<Metainfo> {
  for (const [path, size] of Object.entries(FILES)) {
    const full = join(dir, 'share', ...path.split('/'))
    mkdirSync(join(full, '..'), { recursive: true })
    if (!existsSize(full, size)) writeFileSync(full, randomBytes(size))
  }
  const created = await createTorrent(join(dir, 'share'), { pieceLength: PIECE, webSeeds })
  const parsed = parseMetainfo(created.torrent, createNodeEnv().hashing)
  assert.ok(parsed.ok)
  return parsed.value
}

function existsSize(path: string, size: number): boolean {
  try {
    return statSync(path).size === size
  } catch {
    return false
  }
}

async function open(
  m: Metainfo,
  saveDir: string,
  events: SessionEvent[],
  extra: Partial<TorrentSessionOptions> = {},
): Promise<TorrentSession> {
  mkdirSync(saveDir, { recursive: true })
  const env = createNodeEnv({ diskRoot: saveDir, loopbackOnly: true })
  return promised<TorrentSession>((done) =>
    TorrentSession.open(
      {
        env,
        metainfo: m,
        saveDir: '',
        listen: address('127.0.0.1', 0),
        peerId: randomBytes(20),
        pieceHashing: inlinePieceHashing(env.hashing, defer),
        defer,
        webSeedConfig: { backoff: ms(20), backoffMax: ms(100) },
        onEvent: (event) => events.push(event),
        ...extra,
      },
      done,
    ),
  )
}

const close = (session: TorrentSession): Promise<void> =>
  promised<void>((done) => session.close(done)).catch(() => undefined)

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

function assertSameFiles(from: string, to: string): void {
  for (const path of Object.keys(FILES)) {
    const parts = path.split('/')
    assert.deepEqual(
      readFileSync(join(to, 'share', ...parts)),
      readFileSync(join(from, 'share', ...parts)),
      path,
    )
  }
}

test('a web seed alone downloads a multi-file torrent', async () => {
  const dir = join(base, 'alone')
  const server = await serve(join(dir))
  try {
    const m = await share(dir, [server.url])
    const events: SessionEvent[] = []
    const leech = await open(m, join(dir, 'out'), events)
    await until(() => leech.isComplete, 'the download')
    const [seed] = leech.webSeeds
    assert.equal(seed?.url, server.url)
    assert.equal(seed?.phase, 'ready')
    assert.equal(seed?.downloadedBytes, m.totalLength)
    assert.equal(leech.stats.downloadedBytes, m.totalLength)
    await close(leech)
    assertSameFiles(dir, join(dir, 'out'))
    assert.ok(server.requests.every((r) => r.status === 206))
    assert.ok(server.requests.some((r) => r.path === '/share/sub dir/b.bin'))
  } finally {
    await server.close()
  }
})

test('a web seed that answers 503 is retried after a back-off and the download completes', async () => {
  const dir = join(base, 'busy')
  let refusals = 3
  const server = await serve(dir, () => (refusals-- > 0 ? 503 : 'serve'))
  try {
    const m = await share(dir, [server.url])
    const events: SessionEvent[] = []
    const leech = await open(m, join(dir, 'out'), events)
    await until(() => leech.isComplete, 'the download')
    assert.equal(server.requests.filter((r) => r.status === 503).length, 3)
    assert.equal(leech.webSeeds[0]?.phase, 'ready')
    await close(leech)
    assertSameFiles(dir, join(dir, 'out'))
  } finally {
    await server.close()
  }
})

test('a web seed that answers 404 is dropped', async () => {
  const dir = join(base, 'missing')
  const server = await serve(dir, () => 404)
  try {
    const m = await share(dir, [server.url])
    const events: SessionEvent[] = []
    const leech = await open(m, join(dir, 'out'), events)
    await until(() => events.some((e) => e.type === 'web_seed_failed'), 'the seed to be dropped')
    assert.equal(leech.webSeeds[0]?.phase, 'failed')
    // The fetches already in flight (`fetchesMax`, 2) and none after the drop.
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.ok(server.requests.length <= 2)
    assert.equal(leech.isComplete, false)
    await close(leech)
  } finally {
    await server.close()
  }
})

test('a web seed serving corrupt data is banned and a peer completes the download', async () => {
  const dir = join(base, 'corrupt')
  const server = await serve(dir, () => 'corrupt')
  try {
    const m = await share(dir, [server.url])
    const seedEvents: SessionEvent[] = []
    const seed = await open(m, dir, seedEvents, { webSeeds: false })
    assert.ok(seed.isComplete)
    const events: SessionEvent[] = []
    const leech = await open(m, join(dir, 'out'), events, { peers: [seed.listenAddress] })
    await until(() => leech.isComplete, 'the download')
    assert.ok(events.some((e) => e.type === 'piece_failed'))
    assert.ok(events.some((e) => e.type === 'web_seed_banned' && e.url === server.url))
    assert.equal(leech.webSeeds[0]?.phase, 'banned')
    await close(leech)
    await close(seed)
    assertSameFiles(dir, join(dir, 'out'))
  } finally {
    await server.close()
  }
})

test('a web seed and a plexus peer together', async () => {
  const dir = join(base, 'together')
  // A distant server (50 ms per answer) and a peer limited to 100 kB/s: neither source alone
  // brings the whole torrent before the other has delivered something.
  const server = await serve(dir, () => 'serve', 50)
  try {
    const m = await share(dir, [server.url])
    const seed = await open(m, dir, [], {
      webSeeds: false,
      swarmConfig: { uploadRateLimit: 100_000 },
    })
    const events: SessionEvent[] = []
    const leech = await open(m, join(dir, 'out'), events, { peers: [seed.listenAddress] })
    await until(() => leech.isComplete, 'the download')
    const fromWeb = leech.webSeeds[0]?.downloadedBytes ?? 0
    // Kept bytes count once each: what the web seed did not bring came from the peer.
    const fromPeers = leech.stats.downloadedBytes - fromWeb
    assert.ok(fromWeb > 0, 'the web seed delivered blocks')
    assert.ok(fromPeers > 0, 'the peer delivered blocks')
    assert.equal(leech.stats.downloadedBytes, m.totalLength)
    await close(leech)
    await close(seed)
    assertSameFiles(dir, join(dir, 'out'))
  } finally {
    await server.close()
  }
})

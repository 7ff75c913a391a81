import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import type { Hashing } from '../../core/env.js'
import {
  buildInfoDict,
  buildTorrent,
  parseMetainfo,
} from '../../protocols/bittorrent/metainfo/index.js'
import { NodeHashing } from '../node/hashing.js'
import { PUBLISH_FILES_MAX } from './publish-limits.js'
import { startDirectory, type Directory, type DirectoryOptions } from './server.js'

/** Issue 11, security 5: one big torrent or one busy uploader must not stall the directory. */

const UPLOADER_TRACKER = 'http://uploader.example/announce'

function manyFiles(count: number, name = `many-${count}`): Uint8Array {
  const files = Array.from({ length: count }, (_, i) => ({
    path: [`dir${Math.floor(i / 500)}`, `file-${i}.txt`],
    length: 1 + (i % 7),
  }))
  const total = files.reduce((sum, file) => sum + file.length, 0)
  return buildTorrent({
    info: buildInfoDict({
      name,
      files,
      pieceLength: 16384,
      pieces: new Uint8Array(20 * Math.ceil(total / 16384)),
    }),
    announce: UPLOADER_TRACKER,
    comment: 'made for a test',
  })
}

/** Counts hash calls: parsing a torrent always hashes its info dictionary. */
class CountingHashing implements Hashing {
  calls = 0
  private readonly inner = new NodeHashing()
  sha1(parts: readonly Uint8Array[]): Uint8Array {
    this.calls++
    return this.inner.sha1(parts)
  }
  sha256(parts: readonly Uint8Array[]): Uint8Array {
    this.calls++
    return this.inner.sha256(parts)
  }
}

async function withDirectory(
  options: Partial<DirectoryOptions>,
  body: (d: Directory) => Promise<void>,
): Promise<void> {
  const d = await startDirectory({ port: 0, bind: '127.0.0.1', dbPath: ':memory:', ...options })
  try {
    await body(d)
  } finally {
    await d.close()
  }
}

const post = (d: Directory, torrent: Uint8Array): Promise<Response> =>
  fetch(`${d.url}/api/torrents`, { method: 'POST', body: torrent })

test('the default files cap is documented as 10,000', () => {
  assert.equal(PUBLISH_FILES_MAX, 10_000)
})

test('a torrent over the files cap is refused with 422 and a JSON reason; at the cap it is listed', async () => {
  await withDirectory({ publishFilesMax: 300 }, async (d) => {
    const over = await post(d, manyFiles(301))
    assert.equal(over.status, 422)
    assert.match(over.headers.get('content-type') ?? '', /application\/json/)
    const reason = (await over.json()) as { error: string; filesMax: number }
    assert.equal(reason.filesMax, 300)
    assert.match(reason.error, /at most 300/)
    assert.equal(d.db.count(), 0)
    const at = await post(d, manyFiles(300))
    assert.equal(at.status, 201)
  })
})

test('publishes per source are rate limited: 429, retry-after, JSON body', async () => {
  await withDirectory({ publishRate: { burst: 2, perSecond: 1 / 600 } }, async (d) => {
    assert.equal((await post(d, manyFiles(1, 'a'))).status, 201)
    assert.equal((await post(d, manyFiles(1, 'b'))).status, 201)
    const refused = await post(d, manyFiles(1, 'c'))
    assert.equal(refused.status, 429)
    assert.equal(refused.headers.get('retry-after'), '600')
    assert.match(((await refused.json()) as { error: string }).error, /too many publishes/)
    assert.equal(d.db.count(), 2)
  })
})

test('downloads serve stored bytes: identical every time, no parse per download', async () => {
  const hashing = new CountingHashing()
  await withDirectory({ hashing }, async (d) => {
    const uploaded = manyFiles(5000)
    const published = await post(d, uploaded)
    assert.equal(published.status, 201)
    const { infoHash } = ((await published.json()) as { torrent: { infoHash: string } }).torrent
    const callsAfterPublish = hashing.calls
    assert.ok(callsAfterPublish > 0, 'the publish parsed the torrent')

    const url = `${d.url}/torrents/${infoHash}.torrent`
    const downloads = await Promise.all(
      Array.from({ length: 5 }, async () => new Uint8Array(await (await fetch(url)).arrayBuffer())),
    )
    const original = new Uint8Array(await (await fetch(`${url}?original=1`)).arrayBuffer())
    assert.equal(hashing.calls, callsAfterPublish, 'a download parsed the torrent again')
    assert.deepEqual(original, uploaded)
    for (const bytes of downloads) assert.deepEqual(bytes, downloads[0])

    // The served torrent is the one the previous (parse-per-download) code built.
    const served = downloads[0] as Uint8Array
    const m = parseMetainfo(served, new NodeHashing())
    assert.ok(m.ok)
    assert.equal(m.value.infoHashHex, infoHash)
    const ours = d.announceUrls
    assert.deepEqual(
      served,
      buildTorrent({
        info: m.value.infoBytes,
        announce: ours[0] as string,
        announceList: [ours, [UPLOADER_TRACKER]],
        comment: 'made for a test',
      }),
    )
  })
})

test('a long file list is paged: 1,000 files per page in JSON and HTML', async () => {
  await withDirectory({}, async (d) => {
    const published = await post(d, manyFiles(2500))
    const { infoHash } = ((await published.json()) as { torrent: { infoHash: string } }).torrent
    type Detail = {
      fileCount: number
      files: { path: string }[]
      filePage: number
      filePages: number
    }
    const first = (await (await fetch(`${d.url}/api/torrents/${infoHash}`)).json()) as Detail
    assert.equal(first.fileCount, 2500)
    assert.equal(first.files.length, 1000)
    assert.equal(first.filePages, 3)
    const last = (await (
      await fetch(`${d.url}/api/torrents/${infoHash}?file_page=3`)
    ).json()) as Detail
    assert.equal(last.files.length, 500)
    assert.equal(last.files[0]?.path, 'dir4/file-2000.txt')
    const page = await (await fetch(`${d.url}/torrent/${infoHash}?file_page=2`)).text()
    assert.match(page, /files page 2 of 3/)
    assert.ok(page.includes('file-1000.txt') && page.includes('file-1999.txt'))
    assert.ok(!page.includes('file-999.txt') && !page.includes('file-2000.txt'))
    assert.equal((await fetch(`${d.url}/api/torrents/${infoHash}?file_page=x`)).status, 400)
  })
})

test('an index from schema 1 gains served forms: one parse at the first download, then none', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-served-'))
  const dbPath = join(dir, 'index.sqlite')
  try {
    let infoHash = ''
    await withDirectory({ dbPath }, async (d) => {
      const published = await post(d, manyFiles(50))
      infoHash = ((await published.json()) as { torrent: { infoHash: string } }).torrent.infoHash
    })
    // Back to how schema 1 stored it: no served form.
    const raw = new Database(dbPath)
    raw.exec('DROP TABLE served_torrents')
    raw.pragma('user_version = 1')
    raw.close()
    const hashing = new CountingHashing()
    await withDirectory({ dbPath, hashing }, async (d) => {
      const url = `${d.url}/torrents/${infoHash}.torrent`
      const first = new Uint8Array(await (await fetch(url)).arrayBuffer())
      const parses = hashing.calls
      assert.ok(parses > 0)
      const second = new Uint8Array(await (await fetch(url)).arrayBuffer())
      assert.equal(hashing.calls, parses)
      assert.deepEqual(second, first)
      const m = parseMetainfo(first, new NodeHashing())
      assert.ok(m.ok)
      assert.equal(m.value.announce, d.announceUrls[0])
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

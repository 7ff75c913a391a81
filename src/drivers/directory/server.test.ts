import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fromHex } from '../../core/bytes.js'
import { buildInfoDict, buildTorrent } from '../../protocols/bittorrent/metainfo/index.js'
import {
  buildAnnounceUrl,
  parseAnnounceResponse,
} from '../../protocols/bittorrent/tracker/index.js'
import { startDirectory, type Directory } from './server.js'

/** The server in-process: allow-list mode, and `completed` counts surviving a restart. */

const torrent = (name: string): Uint8Array =>
  buildTorrent({
    info: buildInfoDict({
      name,
      files: [{ path: [], length: 10 }],
      pieceLength: 16384,
      pieces: new Uint8Array(20),
    }),
  })

async function publish(d: Directory, name: string): Promise<Uint8Array> {
  const response = await fetch(`${d.url}/api/torrents`, { method: 'POST', body: torrent(name) })
  assert.equal(response.status, 201)
  const body = (await response.json()) as { torrent: { infoHash: string } }
  return fromHex(body.torrent.infoHash) as Uint8Array
}

async function announce(
  d: Directory,
  infoHash: Uint8Array,
  peer: number,
  event: 'started' | 'completed',
) {
  const url = buildAnnounceUrl(`${d.url}/announce`, {
    infoHash,
    peerId: new Uint8Array(20).fill(peer),
    port: 7000 + peer,
    uploaded: 0,
    downloaded: 0,
    left: event === 'completed' ? 0 : 10,
    event,
  })
  return parseAnnounceResponse(new Uint8Array(await (await fetch(url)).arrayBuffer()))
}

test('allow-list mode tracks listed and published info-hashes only', async () => {
  const listed = 'ab'.repeat(20)
  const d = await startDirectory({
    port: 0,
    bind: '127.0.0.1',
    dbPath: ':memory:',
    allowList: [listed],
  })
  try {
    const stranger = new Uint8Array(20).fill(9)
    const refused = await announce(d, stranger, 1, 'started')
    assert.ok(!refused.ok)
    assert.ok((await announce(d, fromHex(listed) as Uint8Array, 1, 'started')).ok)
    const published = await publish(d, 'allowed by publishing')
    assert.ok((await announce(d, published, 1, 'started')).ok)
  } finally {
    await d.close()
  }
})

test('completed counts are persisted at close and restored into the tracker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-directory-server-'))
  const dbPath = join(dir, 'index.sqlite')
  try {
    const first = await startDirectory({ port: 0, bind: '127.0.0.1', dbPath })
    const infoHash = await publish(first, 'counted')
    await announce(first, infoHash, 1, 'started')
    const done = await announce(first, infoHash, 1, 'completed')
    assert.ok(done.ok)
    await first.close()
    const second = await startDirectory({ port: 0, bind: '127.0.0.1', dbPath })
    try {
      const hex = Buffer.from(infoHash).toString('hex')
      const stored = second.db.detail(hex)
      assert.equal(stored?.completed, 1)
      assert.equal(stored?.seeders, 1) // the last persisted counts; live peers are not restored
      const again = await announce(second, infoHash, 2, 'started')
      assert.ok(again.ok)
      const scrape = await fetch(`${second.url}/api/torrents/${hex}`)
      const detail = (await scrape.json()) as { live: { completed: number; leechers: number } }
      assert.equal(detail.live.completed, 1)
      assert.equal(detail.live.leechers, 1)
    } finally {
      await second.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

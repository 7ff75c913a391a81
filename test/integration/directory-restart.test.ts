import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import type { PlexusProcess } from '../../src/cli/spawn.js'
import { IndexDb } from '../../src/drivers/directory/index-db.js'
import {
  makeTorrent,
  publishHttp,
  searchHttp,
  startDirectoryProcess,
  tempDir,
} from './directory-helpers.js'

/** The index survives SIGKILL: published torrents stay, and a killed publish leaves no half. */

const kill = async (child: PlexusProcess): Promise<void> => {
  child.child.kill('SIGKILL')
  await child.exited
}

test('a torrent published before SIGKILL is found after a restart on the same --db', async () => {
  const db = join(tempDir('restart'), 'index.sqlite')
  const first = await startDirectoryProcess(db)
  const published = await publishHttp(first.url, makeTorrent('Survives The Crash'))
  assert.equal(published.status, 201)
  await kill(first.process)
  const second = await startDirectoryProcess(db)
  try {
    const found = await searchHttp(second.url, 'surviv crash')
    assert.deepEqual(
      found.map((t) => t.name),
      ['Survives The Crash'],
    )
  } finally {
    await second.process.stop()
  }
})

test('SIGKILL during a burst of publishes: integrity ok, every listed torrent complete', async () => {
  const db = join(tempDir('burst'), 'index.sqlite')
  const first = await startDirectoryProcess(db)
  const acknowledged: string[] = []
  const TOTAL = 400
  const CONCURRENCY = 8
  let next = 0
  let killed = false
  const worker = async (): Promise<void> => {
    while (next < TOTAL && !killed) {
      const n = next++
      // Many files per torrent make each publish transaction long enough to be cut.
      const files = Array.from({ length: 200 }, (_, i) => ({
        path: [`part${i}.bin`],
        length: 1000,
      }))
      try {
        const answer = await publishHttp(first.url, makeTorrent(`burst item ${n}`, files))
        if (answer.status === 201) {
          acknowledged.push((answer.body['torrent'] as { infoHash: string }).infoHash)
        }
      } catch {
        return // the server is gone
      }
    }
  }
  const workers = Array.from({ length: CONCURRENCY }, () => worker())
  // Kill once some publishes are through, while others are in flight.
  while (acknowledged.length < 20) await new Promise((resolve) => setTimeout(resolve, 5))
  killed = true
  await kill(first.process)
  await Promise.all(workers)

  const index = new IndexDb(db)
  try {
    assert.deepEqual(index.integrityCheck(), ['ok'])
    const torrents = index.query<{
      id: number
      info_hash: string
      file_count: number
      name: string
    }>('SELECT id, info_hash, file_count, name FROM torrents')
    assert.ok(torrents.length >= acknowledged.length)
    const listed = new Set(torrents.map((t) => t.info_hash))
    // Durability: every publish answered 201 is on disk.
    for (const hash of acknowledged) assert.ok(listed.has(hash), `acknowledged ${hash} lost`)
    // Atomicity: each listed torrent has its files, its .torrent and its search entry.
    for (const t of torrents) {
      const [files] = index.query<{ n: number }>(
        'SELECT count(*) AS n FROM files WHERE torrent_id = ?',
        t.id,
      )
      assert.equal(files?.n, t.file_count, t.name)
      assert.ok(index.torrentBytes(t.info_hash) !== undefined, t.name)
      const hits = index.query<{ rowid: number }>(
        'SELECT rowid FROM torrents_fts WHERE torrents_fts MATCH ?',
        `"${t.name.split(' ')[2] ?? ''}"`,
      )
      assert.ok(
        hits.some((hit) => hit.rowid === t.id),
        `${t.name} missing from the search index`,
      )
    }
  } finally {
    index.close()
  }
  const second = await startDirectoryProcess(db)
  try {
    const found = await searchHttp(second.url, 'burst')
    assert.ok(found.length >= acknowledged.length)
  } finally {
    await second.process.stop()
  }
})

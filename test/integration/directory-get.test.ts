import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { jsonLine, spawnPlexus } from '../../src/cli/spawn.js'
import { publishHttp, runPlexus, startDirectoryProcess, tempDir } from './directory-helpers.js'

/**
 * The Napster flow end to end, all on loopback: publish a torrent to the directory, seed the
 * .torrent the directory serves (which names the directory as its tracker), then
 * `plexus search --get 1` finds it, downloads it through the same path as `plexus get`, and
 * the bytes match.
 */
const sha256 = (path: string): string =>
  createHash('sha256').update(readFileSync(path)).digest('hex')

test('publish, seed, then plexus search --get downloads the content byte-exact', async () => {
  const dir = tempDir('get')
  const directory = await startDirectoryProcess(join(dir, 'index.sqlite'))
  const seeds: ReturnType<typeof spawnPlexus>[] = []
  try {
    const content = join(dir, 'Zeppelin Archive')
    mkdirSync(content, { recursive: true })
    writeFileSync(join(content, 'flight.bin'), randomBytes(600 * 1024 + 7))
    writeFileSync(join(content, 'notes.txt'), 'logbook\n')
    const created = join(dir, 'created.torrent')
    const create = spawnPlexus(['create', content, '-o', created, '--piece-length', '32768'])
    assert.equal(await create.exited, 0)
    const published = await publishHttp(directory.url, readFileSync(created), 'hindenburg')
    assert.equal(published.status, 201)
    // Seed what the directory serves: its tracker is the first tier.
    const served = join(dir, 'served.torrent')
    const infoHash = (published.body['torrent'] as { infoHash: string }).infoHash
    const download = await fetch(`${directory.url}/torrents/${infoHash}.torrent`)
    writeFileSync(served, new Uint8Array(await download.arrayBuffer()))
    const seed = spawnPlexus(['seed', served, '--data', dir, '--bind', '127.0.0.1', '--json'])
    seeds.push(seed)
    await seed.waitForLine((line) => (jsonLine(line)?.type === 'ready' ? true : undefined), 30_000)
    // Wait until the seeder's announce reached the tracker.
    const deadline = Date.now() + 20_000
    for (;;) {
      const detail = (await (await fetch(`${directory.url}/api/torrents/${infoHash}`)).json()) as {
        live: { seeders: number }
      }
      if (detail.live.seeders === 1) break
      assert.ok(Date.now() < deadline, 'the seeder never announced to the directory')
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    const out = join(dir, 'downloads')
    const got = await runPlexus([
      'search',
      'zeppel',
      '--directory',
      directory.url,
      '--get',
      '1',
      '-o',
      out,
      '--json',
    ])
    assert.equal(got.code, 0, got.lines.join('\n'))
    const summary = got.lines.map(jsonLine).find((event) => event?.type === 'summary')
    assert.equal(summary?.['complete'], true)
    for (const file of ['flight.bin', 'notes.txt']) {
      assert.equal(sha256(join(out, 'Zeppelin Archive', file)), sha256(join(content, file)))
    }
  } finally {
    for (const seed of seeds) await seed.stop()
    await directory.process.stop()
  }
})

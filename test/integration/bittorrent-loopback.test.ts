import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { jsonLine, spawnPlexus } from '../../src/cli/spawn.js'

const sha256 = (path: string): string =>
  createHash('sha256').update(readFileSync(path)).digest('hex')

function listenPortOf(line: string): number | undefined {
  const event = jsonLine(line)
  if (event?.type !== 'ready') return undefined
  return Number(String(event['listen']).split(':').pop())
}

for (const host of ['127.0.0.1', '::1']) {
  test(`plexus seed -> plexus get between processes on ${host}, byte-exact`, () => transfer(host))
}

async function transfer(host: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-bt-loop-'))
  const seedProcesses: ReturnType<typeof spawnPlexus>[] = []
  try {
    const content = join(dir, 'share')
    mkdirSync(join(content, 'nested'), { recursive: true })
    writeFileSync(join(content, 'big.bin'), randomBytes(3 * 1024 * 1024 + 123))
    writeFileSync(join(content, 'nested', 'small.txt'), 'a small file\n')
    const torrent = join(dir, 'share.torrent')
    const create = spawnPlexus(['create', content, '-o', torrent, '--piece-length', '65536'])
    assert.equal(await create.exited, 0)
    const seed = spawnPlexus(['seed', torrent, '--data', dir, '--bind', host, '--json'])
    seedProcesses.push(seed)
    const port = await seed.waitForLine(listenPortOf, 30_000)
    const out = join(dir, 'download')
    const get = spawnPlexus([
      'get',
      torrent,
      '-o',
      out,
      '--bind',
      host,
      '--peer',
      host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
      '--no-trackers',
      '--json',
    ])
    const summary = await get.waitForLine((line) => {
      const event = jsonLine(line)
      return event?.type === 'summary' ? event : undefined
    }, 60_000)
    assert.equal(summary['complete'], true)
    assert.equal(await get.exited, 0)
    for (const file of ['big.bin', 'nested/small.txt']) {
      assert.equal(sha256(join(out, 'share', file)), sha256(join(content, file)), file)
    }
  } finally {
    for (const p of seedProcesses) p.child.kill('SIGTERM')
    await Promise.all(seedProcesses.map((p) => p.exited))
    rmSync(dir, { recursive: true, force: true })
  }
}

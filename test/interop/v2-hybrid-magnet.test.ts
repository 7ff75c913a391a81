import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { CLI_ENTRY } from '../../src/cli/spawn.js'
import {
  event,
  eventSeen,
  libtorrentListenPort as ltPort,
  plexusCli as plexus,
  plexusGetFrom,
  plexusListenPort as plexusPort,
  plexusSeedProcess,
  pythonScript,
  sha256File,
  spawnLines,
  SYSTEM_PYTHON,
  withLibtorrentDir,
  type LineProcess,
} from './reference.js'

/**
 * BEP 52 piece layers for a hybrid opened from a magnet: the info dictionary comes by
 * ut_metadata, the piece layers by hash requests to the v2 peers, while the download goes on
 * (checked by SHA-1 until a layer is in). Against libtorrent seeding the hybrid, and against a
 * plexus seed; by `btih` alone and by `btih` + `btmh`.
 */

const libtorrent = (...args: string[]): LineProcess =>
  spawnLines(SYSTEM_PYTHON, [pythonScript('lt_session.py'), ...args])
const FILES: readonly (readonly [string, number])[] = [
  ['a.bin', 700_001],
  ['b.txt', 100],
  ['c.bin', 300_000],
]

async function hybridTorrent(dir: string): Promise<string> {
  const content = join(dir, 'seed', 'payload')
  mkdirSync(content, { recursive: true })
  for (const [path, length] of FILES) writeFileSync(join(content, path), randomBytes(length))
  const torrent = join(dir, 'payload.torrent')
  const made = plexus('create', content, '-o', torrent, '--piece-length', '65536', '--hybrid')
  assert.equal(await made.exited, 0)
  return torrent
}

/** The hybrid's magnet as `plexus info` prints it (btih and btmh), or with btih alone. */
function magnetOf(torrent: string, btihOnly: boolean): string {
  const info = spawnSync(process.execPath, [CLI_ENTRY, 'info', torrent, '--json'], {
    encoding: 'utf8',
  })
  const magnet = String((JSON.parse(info.stdout) as Record<string, unknown>)['magnet'])
  assert.match(magnet, /xt=urn:btih:[0-9a-f]{40}/)
  assert.match(magnet, /xt=urn:btmh:1220[0-9a-f]{64}/)
  return btihOnly ? magnet.replace(/&xt=urn:btmh:1220[0-9a-f]{64}/, '') : magnet
}

/** Downloads `magnet` from 127.0.0.1:`port`; returns the layers-fetched event's file count. */
async function getByMagnet(
  dir: string,
  magnet: string,
  port: number,
  running: LineProcess[],
): Promise<number> {
  const out = join(dir, `dl-${running.length}`)
  const get = plexusGetFrom(magnet, out, port, '--no-dht')
  running.push(get)
  let files = -1
  let completed = false
  await get.waitForLine((line) => {
    const e = event(line)
    if (e?.type === 'piece_layers_fetched') files = Number(e['files'])
    if (e?.type === 'download_completed') completed = true
    return e?.type === 'summary' ? true : undefined
  }, 90_000)
  assert.equal(await get.exited, 0)
  assert.ok(completed)
  for (const [path] of FILES) {
    assert.equal(
      sha256File(join(out, 'payload', path)),
      sha256File(join(dir, 'seed', 'payload', path)),
    )
  }
  return files
}

for (const btihOnly of [true, false]) {
  const form = btihOnly ? 'btih alone' : 'btih + btmh'
  test(`hybrid magnet (${form}): libtorrent seeds, plexus downloads without hanging up`, async () => {
    await withLibtorrentDir('plexus-interop-hybrid-magnet-', async (dir, running) => {
      const torrent = await hybridTorrent(dir)
      const seed = libtorrent(torrent, join(dir, 'seed'), '--timeout', '120')
      running.push(seed)
      const port = await ltPort(seed)
      await eventSeen(seed, 'complete')
      // libtorrent answers our dial (v1 hash, upgrade bit) with the v1 hash: the connection is
      // not upgraded, and libtorrent hangs up on a hash request over it. So plexus asks it for
      // no layers and downloads, checking pieces by SHA-1 (the layers come from v2 peers).
      assert.equal(await getByMagnet(dir, magnetOf(torrent, btihOnly), port, running), -1)
    })
  })
}

test('hybrid magnet (btih alone): a plexus seed serves the metadata and the piece layers', async () => {
  await withLibtorrentDir('plexus-interop-hybrid-magnet-', async (dir, running) => {
    const torrent = await hybridTorrent(dir)
    const seed = plexusSeedProcess(torrent, join(dir, 'seed'), '--no-dht')
    running.push(seed)
    const port = await plexusPort(seed)
    assert.equal(await getByMagnet(dir, magnetOf(torrent, true), port, running), 2)
  })
})

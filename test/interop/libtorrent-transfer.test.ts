import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import {
  pythonScript,
  sha256File,
  spawnLines,
  SYSTEM_PYTHON,
  type LineProcess,
  eventSeen as completed,
  libtorrentListenPort as ltPort,
  plexusCli as plexus,
  plexusListenPort as plexusPort,
  withLibtorrentDir,
  fetchFromPort,
} from './reference.js'

const libtorrent = (...args: string[]): LineProcess =>
  spawnLines(SYSTEM_PYTHON, [pythonScript('lt_session.py'), ...args])

/** plexus seeding `torrent` from `data`, on loopback, without trackers. */
const plexusSeed = (torrent: string, data: string): LineProcess =>
  plexus('seed', torrent, '--data', data, '--bind', '127.0.0.1', '--no-trackers', '--json')

/** plexus downloading `source` into `out` from the loopback peers on `ports`. */
const plexusGet = (source: string, out: string, ports: readonly number[]): LineProcess =>
  plexus(
    'get',
    source,
    '-o',
    out,
    '--bind',
    '127.0.0.1',
    ...ports.flatMap((port) => ['--peer', `127.0.0.1:${port}`]),
    '--no-trackers',
    '--json',
  )

/** A content directory with a multi-file layout and its torrent, made by plexus. */
async function made(dir: string, megabytes: number): Promise<{ torrent: string; files: string[] }> {
  const content = join(dir, 'seed', 'payload')
  mkdirSync(join(content, 'inner'), { recursive: true })
  writeFileSync(join(content, 'data.bin'), randomBytes(megabytes * 1024 * 1024 + 777))
  writeFileSync(join(content, 'inner', 'note.txt'), 'interop between plexus and libtorrent\n')
  const torrent = join(dir, 'payload.torrent')
  const creator = plexus('create', content, '-o', torrent, '--piece-length', '262144', '--json')
  assert.equal(await creator.exited, 0)
  return { torrent, files: ['data.bin', 'inner/note.txt'] }
}

const withDir = (body: (dir: string, running: LineProcess[]) => Promise<void>) =>
  withLibtorrentDir('plexus-interop-', body)

const sameFiles = (dir: string, from: string, to: string, files: string[]): void => {
  for (const file of files) {
    assert.equal(
      sha256File(join(dir, to, 'payload', file)),
      sha256File(join(dir, from, 'payload', file)),
      file,
    )
  }
}

test('libtorrent seeds, plexus downloads (byte-exact, SHA-256)', async () => {
  await withDir(async (dir, running) => {
    const { torrent, files } = await made(dir, 8)
    const seed = libtorrent(torrent, join(dir, 'seed'), '--timeout', '120')
    running.push(seed)
    const port = await ltPort(seed)
    // libtorrent refuses peers until it has checked its files; dialling earlier only costs a
    // reconnect back-off.
    await completed(seed, 'complete')
    const get = plexusGet(torrent, join(dir, 'plexus-dl'), [port])
    running.push(get)
    await completed(get, 'summary')
    assert.equal(await get.exited, 0)
    sameFiles(dir, 'seed', 'plexus-dl', files)
  })
})

test('plexus seeds, libtorrent downloads (byte-exact, SHA-256)', async () => {
  await withDir(async (dir, running) => {
    const { torrent, files } = await made(dir, 8)
    const seed = plexusSeed(torrent, join(dir, 'seed'))
    running.push(seed)
    const port = await plexusPort(seed)
    const get = libtorrent(torrent, join(dir, 'lt-dl'), ...fetchFromPort(port))
    running.push(get)
    await completed(get, 'complete')
    assert.equal(await get.exited, 0)
    sameFiles(dir, 'seed', 'lt-dl', files)
  })
})

test('mixed swarm: plexus seed, a libtorrent leecher and a plexus leecher', async () => {
  await withDir(async (dir, running) => {
    const { torrent, files } = await made(dir, 6)
    const seed = plexusSeed(torrent, join(dir, 'seed'))
    running.push(seed)
    const seedPort = await plexusPort(seed)
    const lt = libtorrent(
      torrent,
      join(dir, 'lt-dl'),
      '--peer',
      `127.0.0.1:${seedPort}`,
      '--timeout',
      '120',
    )
    running.push(lt)
    const ltListen = await ltPort(lt)
    const get = plexusGet(torrent, join(dir, 'plexus-dl'), [seedPort, ltListen])
    running.push(get)
    await Promise.all([completed(lt, 'complete'), completed(get, 'summary')])
    assert.equal(await get.exited, 0)
    sameFiles(dir, 'seed', 'lt-dl', files)
    sameFiles(dir, 'seed', 'plexus-dl', files)
  })
})

const magnetOf = async (torrent: string): Promise<string> => {
  const info = plexus('info', torrent, '--json')
  const magnet = await info.waitForLine((line) => {
    const value = (JSON.parse(line) as { magnet?: string }).magnet
    return typeof value === 'string' ? value : undefined
  })
  await info.exited
  return magnet
}

test('magnet: libtorrent seeds, plexus fetches the metadata (BEP 9) and downloads', async () => {
  await withDir(async (dir, running) => {
    const { torrent, files } = await made(dir, 4)
    const magnet = await magnetOf(torrent)
    const seed = libtorrent(torrent, join(dir, 'seed'), '--timeout', '120')
    running.push(seed)
    const port = await ltPort(seed)
    await completed(seed, 'complete')
    const get = plexusGet(magnet, join(dir, 'plexus-dl'), [port])
    running.push(get)
    await completed(get, 'summary')
    assert.equal(await get.exited, 0)
    sameFiles(dir, 'seed', 'plexus-dl', files)
  })
})

test('magnet: plexus seeds and serves the metadata (BEP 9), libtorrent downloads', async () => {
  await withDir(async (dir, running) => {
    const { torrent, files } = await made(dir, 4)
    const magnet = await magnetOf(torrent)
    const seed = plexusSeed(torrent, join(dir, 'seed'))
    running.push(seed)
    const port = await plexusPort(seed)
    const get = libtorrent(magnet, join(dir, 'lt-dl'), ...fetchFromPort(port))
    running.push(get)
    await completed(get, 'complete')
    assert.equal(await get.exited, 0)
    sameFiles(dir, 'seed', 'lt-dl', files)
  })
})

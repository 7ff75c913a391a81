import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import {
  event,
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
  plexusSeedProcess,
  plexusGetFrom,
  fetchFromPort,
} from './reference.js'

/**
 * uTP (BEP 29) against libtorrent with TCP off in both directions (enable_outgoing_tcp =
 * enable_incoming_tcp = False): whatever moves, moves over uTP. plexus runs with its default
 * transports (uTP tried first, TCP as the fallback, both listened on one port number), as a
 * user would; libtorrent also reports each peer's socket type.
 */

const libtorrentUtp = (...args: string[]): LineProcess =>
  spawnLines(SYSTEM_PYTHON, [pythonScript('lt_utp.py'), ...args])

const peerOverUtp = (p: LineProcess): Promise<boolean> =>
  p.waitForLine((line) => {
    const e = event(line)
    return e?.type === 'peer' ? e['utp'] === true : undefined
  }, 90_000)

async function made(dir: string, megabytes: number): Promise<string> {
  const content = join(dir, 'seed', 'payload')
  mkdirSync(content, { recursive: true })
  writeFileSync(join(content, 'data.bin'), randomBytes(megabytes * 1024 * 1024 + 333))
  const torrent = join(dir, 'payload.torrent')
  const creator = plexus('create', content, '-o', torrent, '--piece-length', '262144', '--json')
  assert.equal(await creator.exited, 0)
  return torrent
}

const withDir = (body: (dir: string, running: LineProcess[]) => Promise<void>) =>
  withLibtorrentDir('plexus-utp-interop-', body)

const same = (dir: string, to: string): void =>
  assert.equal(
    sha256File(join(dir, to, 'payload', 'data.bin')),
    sha256File(join(dir, 'seed', 'payload', 'data.bin')),
  )

test('uTP only: libtorrent seeds, plexus downloads', async () => {
  await withDir(async (dir, running) => {
    const torrent = await made(dir, 8)
    const seed = libtorrentUtp(torrent, join(dir, 'seed'), '--timeout', '120')
    running.push(seed)
    const port = await ltPort(seed)
    await completed(seed, 'complete')
    const get = plexusGetFrom(torrent, join(dir, 'plexus-dl'), port)
    running.push(get)
    assert.equal(await peerOverUtp(seed), true)
    await completed(get, 'summary')
    assert.equal(await get.exited, 0)
    same(dir, 'plexus-dl')
  })
})

test('uTP only: plexus seeds, libtorrent downloads', async () => {
  await withDir(async (dir, running) => {
    const torrent = await made(dir, 8)
    const seed = plexusSeedProcess(torrent, join(dir, 'seed'))
    running.push(seed)
    const port = await plexusPort(seed)
    const get = libtorrentUtp(torrent, join(dir, 'lt-dl'), ...fetchFromPort(port))
    running.push(get)
    assert.equal(await peerOverUtp(get), true)
    await completed(get, 'complete')
    assert.equal(await get.exited, 0)
    same(dir, 'lt-dl')
  })
})

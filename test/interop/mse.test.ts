/**
 * MSE/PE against libtorrent set to force encryption both ways with RC4 only
 * (`out_enc_policy = in_enc_policy = pe_forced`, `allowed_enc_level = pe_rc4`): such a peer
 * refuses every plaintext connection, so a completed, byte-exact transfer proves the
 * encrypted handshake and the RC4 stream in that direction.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import {
  freePort,
  pythonScript,
  sha256File,
  spawnLines,
  SYSTEM_PYTHON,
  transmissionConfig,
  until,
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

/** libtorrent's settings_pack values: enc_policy pe_forced = 0, enc_level pe_rc4 = 2. */
const FORCED_RC4 = [
  '--setting',
  'out_enc_policy=0',
  '--setting',
  'in_enc_policy=0',
  '--setting',
  'allowed_enc_level=2',
]

const libtorrent = (...args: string[]): LineProcess =>
  spawnLines(SYSTEM_PYTHON, [pythonScript('lt_session.py'), ...args, ...FORCED_RC4])
/** libtorrent refusing MSE both ways (enc_policy pe_disabled = 2). */
const plaintextLibtorrent = (...args: string[]): LineProcess =>
  spawnLines(SYSTEM_PYTHON, [
    pythonScript('lt_session.py'),
    ...args,
    '--setting',
    'out_enc_policy=2',
    '--setting',
    'in_enc_policy=2',
  ])

/** Hybrid by default; Transmission 3.00 (Debian's) cannot parse hybrids, so it gets `--v1`. */
async function made(dir: string, version: '--hybrid' | '--v1' = '--hybrid'): Promise<string> {
  const content = join(dir, 'seed', 'payload')
  mkdirSync(content, { recursive: true })
  writeFileSync(join(content, 'data.bin'), randomBytes(4 * 1024 * 1024 + 555))
  const torrent = join(dir, 'payload.torrent')
  const creator = plexus(
    'create',
    content,
    '-o',
    torrent,
    '--piece-length',
    '262144',
    version,
    '--json',
  )
  assert.equal(await creator.exited, 0)
  return torrent
}

const withDir = (body: (dir: string, running: LineProcess[]) => Promise<void>) =>
  withLibtorrentDir('plexus-mse-', body)

const sameData = (dir: string, to: string): void =>
  assert.equal(
    sha256File(join(dir, to, 'payload', 'data.bin')),
    sha256File(join(dir, 'seed', 'payload', 'data.bin')),
  )

for (const encryption of ['require', 'prefer'] as const) {
  test(`libtorrent (forced RC4) seeds, plexus --encryption ${encryption} downloads`, async () => {
    await withDir(async (dir, running) => {
      const torrent = await made(dir)
      const seed = libtorrent(torrent, join(dir, 'seed'), '--timeout', '120')
      running.push(seed)
      const port = await ltPort(seed)
      await completed(seed, 'complete')
      const get = plexusGetFrom(torrent, join(dir, 'plexus-dl'), port, '--encryption', encryption)
      running.push(get)
      await completed(get, 'summary')
      assert.equal(await get.exited, 0)
      sameData(dir, 'plexus-dl')
    })
  })
}

test('plexus (prefer) falls back to plaintext with a libtorrent that refuses MSE', async () => {
  await withDir(async (dir, running) => {
    const torrent = await made(dir)
    const seed = plaintextLibtorrent(torrent, join(dir, 'seed'), '--timeout', '120')
    running.push(seed)
    const port = await ltPort(seed)
    await completed(seed, 'complete')
    const get = plexusGetFrom(torrent, join(dir, 'plexus-dl'), port)
    running.push(get)
    await completed(get, 'summary')
    assert.equal(await get.exited, 0)
    sameData(dir, 'plexus-dl')
  })
})

test('plexus --encryption require seeds, libtorrent (forced RC4) downloads', async () => {
  await withDir(async (dir, running) => {
    const torrent = await made(dir)
    const seed = plexusSeedProcess(torrent, join(dir, 'seed'), '--encryption', 'require')
    running.push(seed)
    const port = await plexusPort(seed)
    const get = libtorrent(torrent, join(dir, 'lt-dl'), ...fetchFromPort(port))
    running.push(get)
    await completed(get, 'complete')
    assert.equal(await get.exited, 0)
    sameData(dir, 'lt-dl')
  })
})

/**
 * Transmission with `--encryption-required` downloads from `plexus seed --encryption
 * require`, which dials it (Transmission does not dial loopback peers, see
 * transmission.test.ts): plexus is the MSE initiator here, libtorrent tests cover the rest.
 */
test('Transmission (encryption required) downloads from plexus --encryption require', async () => {
  const probe = spawnSync('transmission-cli', ['--version'], { encoding: 'utf8' })
  assert.equal(probe.error, undefined, 'transmission-cli is missing')
  const dir = mkdtempSync(join(tmpdir(), 'plexus-mse-tr-'))
  const running: LineProcess[] = []
  try {
    const torrent = await made(dir, '--v1')
    const config = transmissionConfig(dir, { 'peer-limit-per-torrent': 50 })
    const port = await freePort()
    const download = join(dir, 'transmission-dl')
    mkdirSync(download)
    const transmission = spawnLines('transmission-cli', [
      '-g',
      config,
      '-w',
      download,
      '-p',
      String(port),
      '-M',
      '-er',
      '-D',
      '-U',
      torrent,
    ])
    running.push(transmission)
    // Transmission binds before plexus dials it; a failed first dial is retried anyway.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const seed = plexus(
      'seed',
      torrent,
      '--data',
      join(dir, 'seed'),
      '--bind',
      '127.0.0.1',
      '--peer',
      `127.0.0.1:${port}`,
      '--no-trackers',
      '--encryption',
      'require',
      '--json',
    )
    running.push(seed)
    await plexusPort(seed)
    const target = join(download, 'payload', 'data.bin')
    const original = sha256File(join(dir, 'seed', 'payload', 'data.bin'))
    await until(() => existsSync(target) && sha256File(target) === original, 90_000, 'Transmission')
  } finally {
    await Promise.all(running.map((p) => p.stop()))
    rmSync(dir, { recursive: true, force: true })
  }
})

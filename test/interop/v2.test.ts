import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { CLI_ENTRY } from '../../src/cli/spawn.js'
import { decode } from '../../src/core/codec/bencode-decode.js'
import { isBBytes, isBDict } from '../../src/core/codec/bencode.js'
import {
  freePort,
  pythonScript,
  requireLibtorrent,
  runPython,
  sha256File,
  spawnLines,
  SYSTEM_PYTHON,
  type LineProcess,
  event,
  eventSeen as completed,
  libtorrentListenPort as ltPort,
  plexusCli as plexus,
  plexusListenPort as plexusPort,
  withLibtorrentDir,
  plexusSeedProcess,
  plexusGetFrom,
  fetchFromPort,
} from './reference.js'
import { VECTORS } from '../../src/protocols/bittorrent/metainfo/v2-vectors.test.js'

/**
 * BEP 52 against libtorrent 2.0: the same info-hashes for the same files, and hybrid and
 * v2-only torrents (made by plexus or by libtorrent) transferred in both directions on
 * loopback. A v2-only swarm's handshakes carry the SHA-256 info-hash truncated to 20 bytes.
 */

const libtorrent = (...args: string[]): LineProcess =>
  spawnLines(SYSTEM_PYTHON, [pythonScript('lt_session.py'), ...args])

const FILES: readonly (readonly [string, number])[] = [
  ['a.bin', 300_001],
  ['empty', 0],
  ['sub/b.txt', 100],
  ['sub/c.bin', 700_000],
]

const withDir = (body: (dir: string, running: LineProcess[]) => Promise<void>) =>
  withLibtorrentDir('plexus-interop-v2-', body)

/** How a test's torrent is made: by plexus (`create --hybrid/--v2`), or by libtorrent. */
type Maker = '--hybrid' | '--v2' | 'libtorrent-v2'

/** Content under dir/seed/payload and its torrent, made as `mode` says. */
async function made(dir: string, mode: Maker): Promise<string> {
  const content = join(dir, 'seed', 'payload')
  for (const [path, length] of FILES) {
    mkdirSync(join(content, path, '..'), { recursive: true })
    writeFileSync(join(content, path), randomBytes(length))
  }
  const torrent = join(dir, 'payload.torrent')
  if (mode === 'libtorrent-v2') {
    runPython('lt_torrent.py', ['create-v2', content, torrent, '65536'])
    return torrent
  }
  const creator = plexus(
    'create',
    content,
    '-o',
    torrent,
    '--piece-length',
    '65536',
    mode,
    '--json',
  )
  assert.equal(await creator.exited, 0)
  return torrent
}

function sameFiles(dir: string, to: string): void {
  for (const [path] of FILES) {
    const theirs = join(dir, to, 'payload', path)
    assert.equal(sha256File(theirs), sha256File(join(dir, 'seed', 'payload', path)), path)
  }
  // BEP 47: padding files are never written.
  assert.equal(existsSync(join(dir, to, 'payload', '.pad')), false, 'no .pad folder')
}

test('libtorrent regenerates the pinned BEP 52 vectors byte for byte', () => {
  requireLibtorrent()
  const dir = mkdtempSync(join(tmpdir(), 'plexus-interop-v2-vectors-'))
  try {
    const fresh = JSON.parse(runPython('lt_v2_vectors.py', [dir])) as Record<string, string>
    for (const [mode, vector] of Object.entries(VECTORS)) {
      assert.equal(fresh[mode], Buffer.from(vector.torrent).toString('base64'), mode)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test("libtorrent reads plexus's hybrid and v2 torrents with the same info-hashes", async () => {
  await withDir(async (dir) => {
    for (const mode of ['--hybrid', '--v2'] as const) {
      const torrent = await made(join(dir, mode), mode)
      const ours = spawnSync(process.execPath, [CLI_ENTRY, 'info', torrent, '--json'], {
        encoding: 'utf8',
      })
      const info = JSON.parse(ours.stdout) as Record<string, unknown>
      const theirs = runPython('lt_torrent.py', ['info2', torrent]).split(' ')
      assert.equal(theirs[1], info['infoHashV2'], mode)
      if (mode === '--hybrid') assert.equal(theirs[0], info['infoHash'], mode)
      assert.ok(readFileSync(torrent).length > 0)
    }
  })
})

const TITLES: Record<Maker, string> = {
  '--hybrid': 'hybrid',
  '--v2': 'v2-only',
  'libtorrent-v2': "v2-only (libtorrent's create_torrent)",
}

for (const mode of ['--hybrid', '--v2', 'libtorrent-v2'] as const) {
  test(`${TITLES[mode]}: libtorrent seeds, plexus downloads`, async () => {
    await withDir(async (dir, running) => {
      const torrent = await made(dir, mode)
      const seed = libtorrent(torrent, join(dir, 'seed'), '--timeout', '120')
      running.push(seed)
      const port = await ltPort(seed)
      await completed(seed, 'complete')
      const get = plexusGetFrom(torrent, join(dir, 'plexus-dl'), port)
      running.push(get)
      const summary = await get.waitForLine((line) => {
        const e = event(line)
        return e?.type === 'summary' ? e : undefined
      }, 90_000)
      assert.equal(await get.exited, 0)
      sameFiles(dir, 'plexus-dl')
      // The swarm's hash, as libtorrent computes it: SHA-1 for a hybrid, else SHA-256 cut to 20.
      const [v1, v2] = runPython('lt_torrent.py', ['info2', torrent]).split(' ')
      const expected = mode === '--hybrid' ? v1 : v2?.slice(0, 40)
      assert.equal(summary['infoHash'], expected)
    })
  })

  test(`${TITLES[mode]}: plexus seeds, libtorrent downloads`, async () => {
    await withDir(async (dir, running) => {
      const torrent = await made(dir, mode)
      const seed = plexusSeedProcess(torrent, join(dir, 'seed'))
      running.push(seed)
      const port = await plexusPort(seed)
      const get = libtorrent(torrent, join(dir, 'lt-dl'), ...fetchFromPort(port))
      running.push(get)
      await completed(get, 'complete')
      assert.equal(await get.exited, 0)
      sameFiles(dir, 'lt-dl')
    })
  })
}

/** The torrent's magnet as `plexus info` prints it (`btmh` only for a v2-only torrent). */
function magnetOf(torrent: string): string {
  const info = spawnSync(process.execPath, [CLI_ENTRY, 'info', torrent, '--json'], {
    encoding: 'utf8',
  })
  const magnet = String((JSON.parse(info.stdout) as Record<string, unknown>)['magnet'])
  assert.match(magnet, /^magnet:\?xt=urn:btmh:1220[0-9a-f]{64}&/)
  return magnet
}

// By magnet, the info dictionary carries no piece layers: the downloader fetches them with
// BEP 52 hash requests, which the seed answers from its .torrent's layers.
test('v2-only by magnet (btmh): libtorrent seeds, plexus fetches the piece layers and downloads', async () => {
  await withDir(async (dir, running) => {
    const torrent = await made(dir, '--v2')
    const seed = libtorrent(torrent, join(dir, 'seed'), '--timeout', '120')
    running.push(seed)
    const port = await ltPort(seed)
    await completed(seed, 'complete')
    const get = plexusGetFrom(magnetOf(torrent), join(dir, 'plexus-dl'), port, '--no-dht')
    running.push(get)
    await completed(get, 'download_completed')
    assert.equal(await get.exited, 0)
    sameFiles(dir, 'plexus-dl')
  })
})

test('v2-only by magnet (btmh): plexus seeds and answers hash requests, libtorrent downloads', async () => {
  await withDir(async (dir, running) => {
    const torrent = await made(dir, '--v2')
    const seed = plexusSeedProcess(torrent, join(dir, 'seed'), '--no-dht')
    running.push(seed)
    const port = await plexusPort(seed)
    const get = libtorrent(
      magnetOf(torrent),
      join(dir, 'lt-dl'),
      '--peer',
      `127.0.0.1:${port}`,
      '--exit-on-complete',
      '--timeout',
      '90',
      '--log-hash-messages',
    )
    running.push(get)
    const hashMessages: string[] = []
    await get.waitForLine((line) => {
      const e = event(line)
      if (e?.type === 'hash_message') hashMessages.push(String(e['message']))
      return e?.type === 'complete' ? true : undefined
    }, 90_000)
    assert.equal(await get.exited, 0)
    sameFiles(dir, 'lt-dl')
    // libtorrent can also check whole files against their roots, so completing proves little:
    // it must have asked for the piece layers and had every request answered, none rejected.
    const asked = hashMessages.filter((m) => m.startsWith('==> HASH_REQUEST')).length
    const answered = hashMessages.filter((m) => m.startsWith('<== HASHES')).length
    assert.ok(asked > 0, 'libtorrent asked for hashes')
    assert.equal(answered, asked, hashMessages.join('\n'))
    assert.ok(!hashMessages.some((m) => m.includes('HASH_REJECT')), hashMessages.join('\n'))
  })
})

/**
 * The ports opentracker lists for `infoHash` (20 bytes), asked by an HTTP announce; undefined
 * while it refuses the hash (it loads its whitelist a moment after it starts listening).
 */
async function trackerPorts(port: number, infoHash: Buffer): Promise<number[] | undefined> {
  const escape = (bytes: Buffer) =>
    [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')
  const query =
    `info_hash=${escape(infoHash)}&peer_id=${escape(Buffer.from('-XX0000-interopcheck'))}` +
    '&port=1&uploaded=0&downloaded=0&left=1&compact=1&numwant=50'
  const response = await fetch(`http://127.0.0.1:${port}/announce?${query}`)
  const body = decode(new Uint8Array(await response.arrayBuffer()))
  assert.ok(body.ok && isBDict(body.value), 'the tracker answers a dictionary')
  if (body.value.has('failure reason')) return undefined
  const peers = body.value.get('peers')
  if (!isBBytes(peers)) return []
  const ports: number[] = []
  for (let at = 0; at + 6 <= peers.length; at += 6) {
    ports.push(((peers[at + 4] as number) << 8) | (peers[at + 5] as number))
  }
  return ports
}

test('hybrid: plexus announces under both the v1 and the truncated v2 hash (opentracker)', async () => {
  await withDir(async (dir, running) => {
    const content = join(dir, 'seed', 'payload')
    for (const [path, length] of FILES) {
      mkdirSync(join(content, path, '..'), { recursive: true })
      writeFileSync(join(content, path), randomBytes(length))
    }
    const trackerPort = await freePort()
    const torrent = join(dir, 'payload.torrent')
    const url = `http://127.0.0.1:${trackerPort}/announce`
    const creator = plexus('create', content, '-o', torrent, '-t', url, '--json')
    assert.equal(await creator.exited, 0)
    // Debian's opentracker serves whitelisted hashes only: the torrent's two swarm hashes.
    const [v1, v2] = runPython('lt_torrent.py', ['info2', torrent]).split(' ') as [string, string]
    // It reads the list after dropping root for `nobody`: the folder must be open to it.
    writeFileSync(join(dir, 'whitelist'), `${v1}\n${v2.slice(0, 40)}\n`, { mode: 0o644 })
    chmodSync(dir, 0o755)
    const tracker = spawn(
      'opentracker',
      [
        '-i',
        '127.0.0.1',
        '-p',
        String(trackerPort),
        '-P',
        String(trackerPort),
        '-w',
        join(dir, 'whitelist'),
      ],
      { stdio: 'ignore', cwd: dir },
    )
    try {
      // Up before plexus starts, or its first announce fails and the retry comes too late.
      const up = Date.now() + 10_000
      for (;;) {
        const answered = await trackerPorts(trackerPort, Buffer.from(v1, 'hex')).then(
          (ports) => ports !== undefined,
          () => false,
        )
        if (answered || Date.now() > up) break
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      const seed = plexus(
        'seed',
        torrent,
        '--data',
        join(dir, 'seed'),
        '--bind',
        '127.0.0.1',
        '--no-dht',
        '--json',
      )
      running.push(seed)
      const trackerLines: string[] = []
      void seed
        .waitForLine((line) => {
          if (event(line)?.type === 'tracker') trackerLines.push(line)
          return undefined
        }, 120_000)
        .catch(() => undefined)
      const port = await plexusPort(seed)
      for (const hash of [v1, v2.slice(0, 40)]) {
        const deadline = Date.now() + 30_000
        let ports = await trackerPorts(trackerPort, Buffer.from(hash, 'hex'))
        while (!(ports?.includes(port) ?? false) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 250))
          ports = await trackerPorts(trackerPort, Buffer.from(hash, 'hex'))
        }
        assert.ok(
          ports?.includes(port),
          `the tracker lists plexus (:${port}) under ${hash}: ${ports?.join()} ${trackerLines.join()}`,
        )
      }
    } finally {
      tracker.kill()
    }
  })
})

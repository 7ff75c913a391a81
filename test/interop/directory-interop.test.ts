import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { CLI_ENTRY, jsonLine, spawnPlexus } from '../../src/cli/spawn.js'
import {
  event,
  freePort,
  pythonScript,
  requireLibtorrent,
  sha256File,
  spawnLines,
  SYSTEM_PYTHON,
  transmissionConfig,
  until,
  type LineProcess,
} from './reference.js'

/**
 * The directory's tracker with the reference clients, on 127.0.0.1: libtorrent and plexus find
 * each other through it over HTTP and over UDP (BEP 15) in both directions, and Transmission
 * announces to it and is found through it. Transmission 3.00 does not dial loopback peers a
 * tracker hands it, so there plexus, learning Transmission's address from the directory,
 * dials it. Every download is compared by SHA-256.
 */

/** The info-hash of a .torrent, as `plexus info` reports it. */
function infoHashOf(torrent: string): string {
  const info = spawnSync(process.execPath, [CLI_ENTRY, 'info', torrent, '--json'], {
    encoding: 'utf8',
  })
  return String((JSON.parse(info.stdout) as { infoHash: string }).infoHash)
}

/**
 * Waits until a BEP 48 scrape of the directory shows the swarm `want` ("complete" seeds or
 * "incomplete" leechers at least 1): a client that announces before its peer would be told of
 * nobody and only ask again after the announce interval.
 */
async function waitForSwarm(port: number, infoHash: string, want: 'complete' | 'incomplete') {
  const escaped = infoHash.replace(/../g, (byte) => `%${byte}`)
  const url = `http://127.0.0.1:${port}/scrape?info_hash=${escaped}`
  const deadline = Date.now() + 60_000
  for (;;) {
    const answer = await fetch(url).catch(() => undefined)
    const body =
      answer === undefined ? '' : Buffer.from(await answer.arrayBuffer()).toString('latin1')
    if (new RegExp(`${want}i[1-9]`).test(body)) return
    if (Date.now() > deadline) throw new Error(`no ${want} peer in the directory: ${body}`)
    await new Promise((resolve) => setTimeout(resolve, 300))
  }
}

/** A torrent of `bytes` random bytes in `dir/name`, announcing to `tracker`. */
/**
 * `plexus create` makes v1 + v2 hybrids by default, as libtorrent does; Transmission 3.00 (the
 * Debian package) cannot parse hybrids at all (libtorrent's neither), so its torrent is v1.
 */
function makeTorrent(
  dir: string,
  name: string,
  bytes: number,
  tracker: string,
  version: '--hybrid' | '--v1' = '--hybrid',
): string {
  const data = join(dir, 'data')
  mkdirSync(data, { recursive: true })
  writeFileSync(join(data, name), randomBytes(bytes))
  const torrent = join(dir, `${name}.torrent`)
  const created = spawnSync(process.execPath, [
    CLI_ENTRY,
    'create',
    join(data, name),
    '-o',
    torrent,
    '-t',
    tracker,
    version,
  ])
  assert.equal(created.status, 0, String(created.stderr))
  return torrent
}

test('the directory tracker with libtorrent and Transmission, over HTTP and UDP', async (t) => {
  requireLibtorrent()
  const dir = mkdtempSync(join(tmpdir(), 'plexus-interop-dir-'))
  const running: LineProcess[] = []
  const directory = spawnPlexus([
    'directory',
    '--bind',
    '127.0.0.1',
    '--port',
    '0',
    '--db',
    join(dir, 'directory.sqlite'),
    '--json',
  ])
  running.push(directory)
  try {
    const listening = await directory.waitForLine((line) => {
      const e = jsonLine(line)
      return e?.type === 'listening' ? e : undefined
    })
    const port = Number(listening['http'])
    const http = `http://127.0.0.1:${port}/announce`
    const udp = `udp://127.0.0.1:${port}/announce`
    const data = join(dir, 'data')

    const plexusGet = async (torrent: string, out: string): Promise<void> => {
      const get = spawnPlexus(['get', torrent, '-o', out, '--bind', '127.0.0.1', '--json'], false)
      running.push(get)
      assert.equal(await get.exited, 0, 'plexus get through the directory')
    }
    const libtorrent = (torrent: string, save: string): LineProcess => {
      const session = spawnLines(SYSTEM_PYTHON, [
        pythonScript('lt_session.py'),
        torrent,
        save,
        '--timeout',
        '120',
      ])
      running.push(session)
      return session
    }
    const complete = (p: LineProcess): Promise<unknown> =>
      p.waitForLine((line) => (event(line)?.type === 'complete' ? true : undefined), 90_000)

    for (const [label, tracker] of [
      ['HTTP', http],
      ['UDP', udp],
    ] as const) {
      await t.test(`libtorrent seeds, plexus downloads (${label} tracker)`, async () => {
        const name = `lt-seed-${label}.bin`
        const torrent = makeTorrent(dir, name, 3 * 1024 * 1024 + 17, tracker)
        const seed = libtorrent(torrent, data)
        await waitForSwarm(port, infoHashOf(torrent), 'complete')
        const out = join(dir, `plexus-${label}`)
        await plexusGet(torrent, out)
        assert.equal(sha256File(join(out, name)), sha256File(join(data, name)))
        await seed.stop()
      })

      await t.test(`plexus seeds, libtorrent downloads (${label} tracker)`, async () => {
        const name = `px-seed-${label}.bin`
        const torrent = makeTorrent(dir, name, 3 * 1024 * 1024 + 29, tracker)
        const seed = spawnPlexus(['seed', torrent, '--data', data, '--bind', '127.0.0.1', '--json'])
        running.push(seed)
        await waitForSwarm(port, infoHashOf(torrent), 'complete')
        const out = join(dir, `lt-${label}`)
        mkdirSync(out)
        const leech = libtorrent(torrent, out)
        await complete(leech).catch((error: unknown) => {
          const said = seed.recentLines().join('\n')
          throw new Error(`${String(error)}\nthe plexus seed's last lines:\n${said}`)
        })
        assert.equal(sha256File(join(out, name)), sha256File(join(data, name)))
        await Promise.all([leech.stop(), seed.stop()])
      })
    }

    await t.test('Transmission announces to the directory; plexus finds it there', async () => {
      const probe = spawnSync('transmission-cli', ['--version'], { encoding: 'utf8' })
      assert.equal(probe.error, undefined, 'transmission-cli is missing (.ci/run installs it)')
      const name = 'to-transmission.bin'
      const torrent = makeTorrent(dir, name, 2 * 1024 * 1024 + 5, http, '--v1')
      const config = transmissionConfig(dir)
      const trPort = await freePort()
      const download = join(dir, 'transmission-dl')
      mkdirSync(download)
      running.push(
        spawnLines('transmission-cli', [
          '-g',
          config,
          '-w',
          download,
          '-p',
          String(trPort),
          torrent,
        ]),
      )
      // Transmission announces first; the seed's first announce then returns its address.
      await waitForSwarm(port, infoHashOf(torrent), 'incomplete')
      const seed = spawnPlexus(['seed', torrent, '--data', data, '--bind', '127.0.0.1', '--json'])
      running.push(seed)
      const target = join(download, name)
      const original = sha256File(join(data, name))
      await until(
        () => existsSync(target) && sha256File(target) === original,
        90_000,
        'Transmission',
      )
    })
  } finally {
    await Promise.all(running.map((p) => p.stop()))
    rmSync(dir, { recursive: true, force: true })
  }
})

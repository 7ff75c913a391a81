import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { CLI_ENTRY } from '../../src/cli/spawn.js'
import {
  event,
  eventSeen,
  freePort,
  plexusGetFrom,
  plexusSeedProcess,
  sha256File,
  spawnLines,
  transmissionConfig,
  until,
  type LineProcess,
} from './reference.js'

/**
 * Transmission 3.00 (Debian's) and plexus, both directions: over TCP, over uTP alone
 * (Transmission with `utp-enabled`, plexus with `--transport utp`, which opens no TCP connection
 * at all, so a completed transfer moved over uTP), and over TCP with encryption required on
 * both sides (Transmission `-er`, plexus `--encryption require`: MSE/PE or nothing).
 *
 * Transmission does not dial loopback peers a tracker hands it, so plexus dials Transmission
 * (`--peer`) in both directions, which is what a user would do too. Transmission cannot bind
 * port 0 and report it, so a free port is found by binding one first. Transmission 3.00 cannot
 * parse v2 or hybrid torrents (`plexus create`'s default is hybrid), so these torrents are v1.
 */
type Transport = 'tcp' | 'utp'
interface Case {
  readonly transport: Transport
  readonly encryption: 'tolerated' | 'required'
}
const CASES: readonly Case[] = [
  { transport: 'tcp', encryption: 'tolerated' },
  { transport: 'utp', encryption: 'tolerated' },
  { transport: 'tcp', encryption: 'required' },
]

const describe = (c: Case): string =>
  [
    c.transport === 'utp' ? 'uTP only' : 'TCP',
    c.encryption === 'required' ? 'encryption required' : '',
  ]
    .filter((part) => part !== '')
    .join(', ')

/** The flags of both clients for a case. */
function flagsOf(c: Case): { transmission: string[]; plexus: string[]; settings: object } {
  const required = c.encryption === 'required'
  return {
    transmission: [required ? '-er' : '-et'],
    plexus: ['--transport', c.transport, ...(required ? ['--encryption', 'require'] : [])],
    settings: { 'utp-enabled': c.transport === 'utp', encryption: required ? 2 : 0 },
  }
}

interface Fixture {
  readonly dir: string
  readonly content: string
  readonly torrent: string
  readonly running: LineProcess[]
}

async function withFixture(body: (f: Fixture) => Promise<void>): Promise<void> {
  const probe = spawnSync('transmission-cli', ['--version'], { encoding: 'utf8' })
  assert.equal(probe.error, undefined, 'transmission-cli is missing (.ci/run installs it)')
  const dir = mkdtempSync(join(tmpdir(), 'plexus-interop-tr-'))
  const running: LineProcess[] = []
  try {
    const content = join(dir, 'seed', 'payload')
    mkdirSync(content, { recursive: true })
    writeFileSync(join(content, 'data.bin'), randomBytes(4 * 1024 * 1024 + 99))
    writeFileSync(join(content, 'readme.txt'), 'between plexus and transmission\n')
    const torrent = join(dir, 'payload.torrent')
    const create = spawnSync(process.execPath, [
      CLI_ENTRY,
      'create',
      content,
      '-o',
      torrent,
      '--v1',
    ])
    assert.equal(create.status, 0, String(create.stderr))
    await body({ dir, content, torrent, running })
  } finally {
    await Promise.all(running.map((p) => p.stop()))
    rmSync(dir, { recursive: true, force: true })
  }
}

/** transmission-cli on a free port with `downloadDir`; resolves once it had time to bind. */
async function startTransmission(
  f: Fixture,
  c: Case,
  downloadDir: string,
): Promise<{ port: number }> {
  const flags = flagsOf(c)
  const config = transmissionConfig(f.dir, { 'peer-limit-per-torrent': 50, ...flags.settings })
  const port = await freePort()
  f.running.push(
    spawnLines('transmission-cli', [
      '-g',
      config,
      '-w',
      downloadDir,
      '-p',
      String(port),
      '-M',
      ...flags.transmission,
      '-D',
      '-U',
      f.torrent,
    ]),
  )
  // Give Transmission a moment to bind (and, seeding, to check its copy) before plexus dials.
  await new Promise((resolve) => setTimeout(resolve, 1500))
  return { port }
}

const sameFiles = (a: string, b: string): void => {
  for (const name of ['data.bin', 'readme.txt']) {
    assert.equal(sha256File(join(b, name)), sha256File(join(a, name)), name)
  }
}

for (const c of CASES) {
  test(`Transmission downloads from plexus (${describe(c)}; byte-exact, SHA-256)`, async () => {
    await withFixture(async (f) => {
      const download = join(f.dir, 'transmission-dl')
      mkdirSync(download)
      const { port } = await startTransmission(f, c, download)
      const seed = plexusSeedProcess(
        f.torrent,
        join(f.dir, 'seed'),
        '--peer',
        `127.0.0.1:${port}`,
        ...flagsOf(c).plexus,
      )
      f.running.push(seed)
      await seed.waitForLine((line) => (event(line)?.type === 'ready' ? true : undefined))
      const target = join(download, 'payload', 'data.bin')
      const original = sha256File(join(f.content, 'data.bin'))
      await until(
        () => existsSync(target) && sha256File(target) === original,
        90_000,
        'Transmission',
      )
      sameFiles(f.content, join(download, 'payload'))
    })
  })

  test(`plexus downloads from Transmission (${describe(c)}; byte-exact, SHA-256)`, async () => {
    await withFixture(async (f) => {
      // Transmission seeds what it finds complete in its download folder: the seed's copy.
      const { port } = await startTransmission(f, c, join(f.dir, 'seed'))
      const out = join(f.dir, 'plexus-dl')
      const get = plexusGetFrom(f.torrent, out, port, '--exit-on-complete', ...flagsOf(c).plexus)
      f.running.push(get)
      await eventSeen(get, 'download_completed', 90_000)
      assert.equal(await get.exited, 0)
      sameFiles(f.content, join(out, 'payload'))
    })
  })
}

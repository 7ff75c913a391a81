import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import {
  eventSeen,
  fetchFromPort,
  libtorrentListenPort,
  plexusCli,
  plexusGetFrom,
  plexusListenPort,
  plexusSeedProcess,
  pythonScript,
  sha256File,
  spawnLines,
  SYSTEM_PYTHON,
  withLibtorrentDir,
  type LineProcess,
} from './reference.js'

/**
 * The issue's "done when" matrix against libtorrent 2.0: plexus seeds and libtorrent downloads,
 * and the other way round, over TCP alone and over uTP alone, with encryption off and required
 * (MSE/PE forced on both sides), for v1, hybrid and v2-only torrents: 24 transfers, each of a
 * two-file torrent (one file not a multiple of the piece size, so v2's per-file alignment and
 * a hybrid's pad file are on the path), checked by SHA-256.
 */
type Kind = 'v1' | 'hybrid' | 'v2'
type Transport = 'tcp' | 'utp'
type Encryption = 'off' | 'required'

const KINDS: readonly Kind[] = ['v1', 'hybrid', 'v2']
const TRANSPORTS: readonly Transport[] = ['tcp', 'utp']
const ENCRYPTIONS: readonly Encryption[] = ['off', 'required']

/** libtorrent's settings_pack for a case (lt_session.py starts with TCP only, no encryption). */
function libtorrentSettings(transport: Transport, encryption: Encryption): string[] {
  const settings =
    transport === 'utp'
      ? [
          'enable_incoming_utp=true',
          'enable_outgoing_utp=true',
          'enable_incoming_tcp=false',
          'enable_outgoing_tcp=false',
        ]
      : []
  // pe_forced (0) both ways: a plaintext handshake is refused in and never tried out.
  if (encryption === 'required') settings.push('out_enc_policy=0', 'in_enc_policy=0')
  return settings.flatMap((setting) => ['--setting', setting])
}

const plexusFlags = (transport: Transport, encryption: Encryption): string[] => [
  '--transport',
  transport,
  ...(encryption === 'required' ? ['--encryption', 'require'] : []),
]

const libtorrent = (...args: string[]): LineProcess =>
  spawnLines(SYSTEM_PYTHON, [pythonScript('lt_session.py'), ...args])

const FILES = ['data.bin', 'note.txt'] as const

async function makeTorrent(dir: string, kind: Kind): Promise<string> {
  const content = join(dir, 'seed', 'payload')
  mkdirSync(content, { recursive: true })
  writeFileSync(join(content, 'data.bin'), randomBytes(1024 * 1024 + 777))
  writeFileSync(join(content, 'note.txt'), `a ${kind} torrent between plexus and libtorrent\n`)
  const torrent = join(dir, 'payload.torrent')
  const create = plexusCli(
    'create',
    content,
    '-o',
    torrent,
    `--${kind}`,
    '--piece-length',
    '65536',
    '--json',
  )
  assert.equal(await create.exited, 0)
  return torrent
}

const sameFiles = (dir: string, to: string): void => {
  for (const file of FILES) {
    assert.equal(
      sha256File(join(dir, to, 'payload', file)),
      sha256File(join(dir, 'seed', 'payload', file)),
      file,
    )
  }
}

for (const kind of KINDS) {
  for (const transport of TRANSPORTS) {
    for (const encryption of ENCRYPTIONS) {
      const label = `${kind}, ${transport === 'tcp' ? 'TCP' : 'uTP'} only, encryption ${encryption}`

      test(`matrix: plexus seeds, libtorrent downloads (${label})`, async () => {
        await withLibtorrentDir('plexus-matrix-', async (dir, running) => {
          const torrent = await makeTorrent(dir, kind)
          const seed = plexusSeedProcess(
            torrent,
            join(dir, 'seed'),
            ...plexusFlags(transport, encryption),
          )
          running.push(seed)
          const port = await plexusListenPort(seed)
          const leech = libtorrent(
            torrent,
            join(dir, 'lt-dl'),
            ...fetchFromPort(port),
            ...libtorrentSettings(transport, encryption),
          )
          running.push(leech)
          await eventSeen(leech, 'complete')
          assert.equal(await leech.exited, 0)
          sameFiles(dir, 'lt-dl')
        })
      })

      test(`matrix: libtorrent seeds, plexus downloads (${label})`, async () => {
        await withLibtorrentDir('plexus-matrix-', async (dir, running) => {
          const torrent = await makeTorrent(dir, kind)
          const seed = libtorrent(
            torrent,
            join(dir, 'seed'),
            '--timeout',
            '120',
            ...libtorrentSettings(transport, encryption),
          )
          running.push(seed)
          const port = await libtorrentListenPort(seed)
          // libtorrent refuses peers until it has checked its files.
          await eventSeen(seed, 'complete')
          const get = plexusGetFrom(
            torrent,
            join(dir, 'plexus-dl'),
            port,
            '--exit-on-complete',
            ...plexusFlags(transport, encryption),
          )
          running.push(get)
          await eventSeen(get, 'download_completed')
          assert.equal(await get.exited, 0)
          sameFiles(dir, 'plexus-dl')
        })
      })
    }
  }
}

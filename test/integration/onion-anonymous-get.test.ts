/**
 * `plexus get --anonymous`: a real `plexus seed` process and a real `plexus get` process whose
 * every peer connection goes through a 3-hop circuit of plexus relays (in this process, for
 * their views). The file arrives byte-exact; the exit relay is the one that dialled the seed;
 * the guard saw the downloader and not the seed. Refusals: --anonymous without --relays or
 * without a peer to dial, and uTP, are usage errors (exit 2).
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { spawnSync } from 'node:child_process'
import { CLI_ENTRY, jsonLine, spawnPlexus, type PlexusProcess } from '../../src/cli/spawn.js'
import type { Log } from '../../src/core/env.js'
import { PlexusRelay } from '../../src/drivers/onion/relay-server.js'
import {
  DEFAULT_EXIT_POLICY,
  parseExitPolicy,
} from '../../src/protocols/onion/directory/exit-policy.js'

const silent: Log = { log: () => undefined, child: () => silent }
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

let dir: string
let relays: PlexusRelay[] = []
let relaysFile: string
const processes: PlexusProcess[] = []

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plexus-anonymous-get-'))
  const policy = parseExitPolicy(DEFAULT_EXIT_POLICY)
  assert.ok(policy.ok)
  relays = await Promise.all(
    [0, 1, 2].map((index) =>
      PlexusRelay.start({
        stateDir: join(dir, `relay${index}`),
        port: 0,
        bind: '127.0.0.1',
        exitPolicy: policy.value,
        log: silent,
      }),
    ),
  )
  relaysFile = join(dir, 'relays.jsonl')
  writeFileSync(relaysFile, relays.map((r) => JSON.stringify(r.published)).join('\n') + '\n')
})

after(async () => {
  await Promise.all(processes.map((p) => p.stop()))
  for (const relay of relays) relay.close()
  rmSync(dir, { recursive: true, force: true })
})

const event = (p: PlexusProcess, type: string, timeoutMs = 60_000) =>
  p.waitForLine((line) => {
    const e = jsonLine(line)
    return e?.type === type ? e : undefined
  }, timeoutMs)

test('plexus get --anonymous downloads through a 3-hop circuit, byte-exact', async () => {
  const content = join(dir, 'seed')
  mkdirSync(content)
  const data = randomBytes(3 * 1024 * 1024 + 7)
  writeFileSync(join(content, 'secret.bin'), data)
  const torrent = join(dir, 'secret.torrent')
  const create = spawnPlexus(['create', join(content, 'secret.bin'), '-o', torrent, '--json'])
  assert.equal(await create.exited, 0)
  const seed = spawnPlexus(
    ['seed', torrent, '--data', content, '--bind', '127.0.0.1', '--no-trackers', '--json'],
    false,
  )
  processes.push(seed)
  const ready = await event(seed, 'ready')
  const seedAddress = String(ready['listen'])
  const out = join(dir, 'out')
  const get = spawnPlexus(
    [
      'get',
      torrent,
      '-o',
      out,
      '--anonymous',
      '--relays',
      relaysFile,
      '--peer',
      seedAddress,
      '--json',
    ],
    false,
  )
  processes.push(get)
  const circuit = await event(get, 'circuit')
  assert.deepEqual(
    circuit['path'],
    relays.map((r) => r.published.fingerprint),
  )
  const summary = await event(get, 'summary', 90_000)
  assert.equal(summary['complete'], true)
  assert.equal(await get.exited, 0)
  assert.equal(sha256(readFileSync(join(out, 'secret.bin'))), sha256(data))
  // The exit dialled the seed; the guard knew the downloader only, never the seed.
  const [guard, , exit] = relays as [PlexusRelay, PlexusRelay, PlexusRelay]
  assert.ok(exit.view.some((e) => e.kind === 'destination' && e.address === seedAddress))
  assert.ok(!guard.view.some((e) => e.address === seedAddress))
  assert.ok(guard.view.some((e) => e.kind === 'previous'))
})

test('--anonymous refusals: no --relays, no peer to dial, uTP', async () => {
  const torrent = join(dir, 'secret.torrent')
  for (const args of [
    ['--anonymous', '--peer', '127.0.0.1:1'],
    ['--anonymous', '--relays', relaysFile],
    ['--anonymous', '--relays', relaysFile, '--peer', '127.0.0.1:1', '--transport', 'utp'],
    ['--relays', relaysFile, '--peer', '127.0.0.1:1'],
  ]) {
    const get = spawnSync(
      process.execPath,
      [CLI_ENTRY, 'get', torrent, '-o', join(dir, 'refused'), ...args, '--json'],
      { encoding: 'utf8', env: process.env, timeout: 20_000 },
    )
    assert.equal(get.status, 2, `${args.join(' ')}: ${get.stderr}`)
    const error = jsonLine(get.stderr.trim().split('\n').at(-1) ?? '')
    assert.equal(error?.type, 'error')
    assert.equal(error?.['code'], 'usage', get.stderr)
  }
})

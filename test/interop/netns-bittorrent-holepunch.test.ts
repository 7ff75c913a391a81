import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { CLI_ENTRY } from '../../src/cli/spawn.js'
import { pythonScript, requireLibtorrent, SYSTEM_PYTHON } from './reference.js'
import {
  createNetnsBed,
  requireNetnsBed,
  type BedNat,
  type NetnsBed,
} from '../support/netns-bed.js'

/**
 * BEP 55 across the real NAT bed, with plexus everywhere: the directory (a tracker) and a relay
 * peer on the public side, a seed behind one port-restricted NAT and a leecher behind another.
 * The leecher hears of the seed from the tracker, and its direct dial dies in the seed's NAT
 * (port-restricted filtering). The relay, connected to both, tells the leecher of the seed by
 * PEX; the leecher sends `rendezvous` through it, the relay sends `connect` to both, both dial
 * each other over uTP from their listen ports at once, and the leecher downloads the file from
 * the seed over that direct connection, byte-exact.
 *
 * The relay must stay connected to the seed, so it is a leecher too (a seed would drop the
 * seed: nothing to trade), held at 1 KiB/s so it has next to nothing to give. A symmetric NAT
 * in front of the seed defeats the punch, and the test says so: the rendezvous and the dials
 * happen, no direct connection does, and the download cannot finish (the relay has nothing).
 */

const PORT = 6881
const TRACKER_PORT = 6969
const FILE_BYTES = 3 * 1024 * 1024 + 123

interface Plexus {
  readonly child: ChildProcess
  readonly events: Record<string, unknown>[]
  readonly output: string[]
  readonly exited: Promise<number | null>
  waitFor(what: string, match: (e: Record<string, unknown>) => boolean, ms: number): Promise<void>
}

function startPlexus(bed: NetnsBed, namespace: string, stateDir: string, args: string[]): Plexus {
  return startProcess(bed, namespace, [
    'env',
    '-u',
    'PLEXUS_TEST', // inside the bed's namespaces nothing reaches the host's network
    `PLEXUS_STATE_DIR=${stateDir}`,
    process.execPath,
    CLI_ENTRY,
    ...args,
  ])
}

/** A process in the bed whose stdout is JSON lines (plexus --json, lt_session.py). */
function startProcess(bed: NetnsBed, namespace: string, argv: string[]): Plexus {
  const child = bed.start(namespace, argv)
  const events: Record<string, unknown>[] = []
  const output: string[] = []
  const waiters: (() => void)[] = []
  let buffered = ''
  const onData = (chunk: Buffer): void => {
    buffered += chunk.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const line of lines) {
      output.push(line)
      if (output.length > 400) output.shift()
      if (!line.startsWith('{')) continue
      try {
        events.push(JSON.parse(line) as Record<string, unknown>)
      } catch {
        continue
      }
    }
    for (const wake of waiters.splice(0)) wake()
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString().trim()))
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  return {
    child,
    events,
    output,
    exited,
    waitFor: (what, match, ms) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(
              `${what}: not within ${ms} ms; last output:\n${output.slice(-30).join('\n')}`,
            ),
          )
        }, ms)
        const check = (): void => {
          if (events.some(match)) {
            clearTimeout(timer)
            return resolve()
          }
          waiters.push(check)
        }
        check()
      }),
  }
}

const addressText = (value: unknown): string => {
  if (typeof value === 'string') return value
  const address = value as { host?: unknown; port?: unknown } | undefined
  return `${String(address?.host)}:${String(address?.port)}`
}

const sha256 = (path: string): string =>
  createHash('sha256').update(readFileSync(path)).digest('hex')

interface Case {
  readonly seedNat: BedNat
  readonly leecherNat: BedNat
  /** Whether the pair's behaviours let the two uTP dials meet (`directPossible`). */
  readonly direct: boolean
  /** Who seeds: plexus, or libtorrent (the target of the punch, told by plexus's relay). */
  readonly seedClient?: 'libtorrent'
}

/**
 * Port-restricted with port-restricted needs the punch (each NAT drops the other's first SYN).
 * A symmetric seed cannot be punched to: its NAT maps the seed's dial to the leecher to a
 * fresh port the leecher's NAT never saw, and the port everyone was told of maps nowhere.
 */
const CASES: readonly Case[] = [
  { seedNat: 'port_restricted', leecherNat: 'port_restricted', direct: true },
  { seedNat: 'symmetric', leecherNat: 'port_restricted', direct: false },
  {
    seedNat: 'port_restricted',
    leecherNat: 'port_restricted',
    direct: true,
    seedClient: 'libtorrent',
  },
]

/**
 * PLEXUS_BEP55_CASES=0,2 runs only those rows of CASES (default: all). The libtorrent row was
 * opt-in while it met in about half the runs: plexus refused libtorrent's rendezvous (sent
 * without err_code) as malformed, and a punch libtorrent closed as a duplicate of its own dial
 * was never asked for again. With both fixed it met in 5 runs of 5 (docs/nat-matrix.md).
 */
const CHOSEN = process.env['PLEXUS_BEP55_CASES']
const RUN =
  CHOSEN === undefined ? CASES : CASES.filter((_, i) => CHOSEN.split(',').includes(String(i)))

/** How long the pair that cannot meet is watched: a PEX round, the rendezvous and the dials. */
const WATCH_MS = 110_000

const hasEvent = (
  p: Plexus,
  type: string,
  match: (e: Record<string, unknown>) => boolean = () => true,
): boolean => p.events.some((e) => e['type'] === type && match(e))

test('BEP 55: a leecher behind one NAT downloads directly from a seed behind another', async (t) => {
  requireNetnsBed()
  if (RUN.some((c) => c.seedClient === 'libtorrent')) requireLibtorrent()
  const bed = await createNetnsBed({
    nats: RUN.flatMap((c) => [c.seedNat, c.leecherNat]),
    publicAddresses: 1,
  })
  const dir = mkdtempSync(join(tmpdir(), 'plexus-bep55-'))
  const running: Plexus[] = []
  try {
    const publicHost = bed.publicAddresses[0]
    assert.ok(publicHost !== undefined)
    const state = (name: string): string => {
      const path = join(dir, `state-${name}`)
      mkdirSync(path, { recursive: true })
      return path
    }
    const directory = startPlexus(bed, bed.publicNamespace, state('directory'), [
      'directory',
      '--bind',
      publicHost,
      '--port',
      String(TRACKER_PORT),
      '--db',
      join(dir, 'directory.sqlite'),
      '--json',
    ])
    running.push(directory)
    await directory.waitFor('directory listening', (e) => e['type'] === 'listening', 20_000)
    const tracker = `http://${publicHost}:${TRACKER_PORT}/announce`

    const runCase = async (c: Case, k: number): Promise<void> => {
      const label = `${c.seedClient ?? 'plexus'} seed ${c.seedNat}, leecher ${c.leecherNat}`
      const seedNet = bed.networks[2 * k]
      const leechNet = bed.networks[2 * k + 1]
      assert.ok(seedNet !== undefined && leechNet !== undefined)
      const data = join(dir, `data-${k}`)
      mkdirSync(data)
      const file = join(data, 'punched.bin')
      writeFileSync(file, randomBytes(FILE_BYTES))
      const torrent = join(dir, `punched-${k}.torrent`)
      const created = spawnSync(process.execPath, [
        CLI_ENTRY,
        'create',
        file,
        '-o',
        torrent,
        '-t',
        tracker,
        '--v1',
      ])
      assert.equal(created.status, 0, String(created.stderr))
      const common = ['--no-dht', '--transport', 'both', '--json']

      // One relay per case, each on its own port of the public host.
      const relay = startPlexus(bed, bed.publicNamespace, state(`relay-${k}`), [
        'get',
        torrent,
        '-o',
        join(dir, `relay-out-${k}`),
        '--bind',
        publicHost,
        '--port',
        String(PORT + k),
        '--download-limit',
        '1',
        ...common,
      ])
      running.push(relay)
      await relay.waitFor(`${label}: relay ready`, (e) => e['type'] === 'ready', 20_000)

      const seed =
        c.seedClient === 'libtorrent'
          ? startProcess(bed, seedNet.hostNamespace, [
              SYSTEM_PYTHON,
              pythonScript('lt_session.py'),
              torrent,
              data,
              '--timeout',
              '300',
              '--setting',
              `listen_interfaces=${seedNet.hostAddress}:${PORT}`,
              '--setting',
              'enable_incoming_utp=true',
              '--setting',
              'enable_outgoing_utp=true',
              // Its side of the punch (connects, ut_holepunch, duplicates) for the diagnostics.
              '--log-connections',
            ])
          : startPlexus(bed, seedNet.hostNamespace, state(`seed-${k}`), [
              'seed',
              torrent,
              '--data',
              data,
              '--bind',
              seedNet.hostAddress,
              '--port',
              String(PORT),
              ...common,
            ])
      running.push(seed)
      const seedHost = seedNet.natAddress
      const seedPublic = `${seedHost}:${PORT}`
      await relay.waitFor(
        `${label}: the seed connects to the relay`,
        (e) =>
          e['type'] === 'peer_connected' && addressText(e['address']).startsWith(`${seedHost}:`),
        30_000,
      )

      const out = join(dir, `leecher-out-${k}`)
      const leecher = startPlexus(bed, leechNet.hostNamespace, state(`leecher-${k}`), [
        'get',
        torrent,
        '-o',
        out,
        '--bind',
        leechNet.hostAddress,
        '--port',
        String(PORT),
        ...common,
      ])
      running.push(leecher)
      // PEX comes every 60 s; the rendezvous follows it, then the punch and the download.
      let timer: NodeJS.Timeout | undefined
      const code = await Promise.race([
        leecher.exited,
        new Promise<'timeout'>(
          (resolve) =>
            (timer = setTimeout(() => resolve('timeout'), c.direct ? 150_000 : WATCH_MS)),
        ),
      ])
      clearTimeout(timer)
      const story = (p: Plexus): string =>
        p.events
          .filter((e) =>
            [
              'holepunch',
              'peer_connected',
              'peer_disconnected',
              'remote_fault',
              'peer_log',
            ].includes(String(e['type'])),
          )
          .slice(-80)
          .map((e) => JSON.stringify(e))
          .join('\n')
      t.diagnostic(
        `${label}:\nleecher:\n${story(leecher)}\nrelay:\n${story(relay)}\nseed:\n${story(seed)}`,
      )
      const fromSeed = (e: Record<string, unknown>): boolean =>
        addressText(e['address']).startsWith(`${seedHost}:`)
      const holepunch = (action: string) => (e: Record<string, unknown>) =>
        e['action'] === action && fromSeed(e)
      assert.ok(hasEvent(leecher, 'holepunch', holepunch('rendezvous')), `${label}: rendezvous`)
      assert.ok(
        hasEvent(relay, 'holepunch', (e) => e['action'] === 'relayed'),
        `${label}: relayed`,
      )
      assert.ok(hasEvent(leecher, 'holepunch', holepunch('connect')), `${label}: connect`)
      if (c.direct) {
        const last = leecher.output.slice(-30).join('\n')
        assert.equal(code, 0, `${label}: the leecher finished; last output:\n${last}`)
        assert.equal(sha256(join(out, 'punched.bin')), sha256(file), `${label}: byte-exact`)
        assert.ok(
          hasEvent(leecher, 'peer_connected', (e) => addressText(e['address']) === seedPublic),
          `${label}: a direct connection between the leecher and the NATed seed`,
        )
      } else {
        assert.equal(code, 'timeout', `${label}: the leecher cannot have finished`)
        assert.ok(
          !hasEvent(leecher, 'peer_connected', fromSeed),
          `${label}: no direct connection can exist`,
        )
      }
    }
    await Promise.all(RUN.map(runCase))
  } finally {
    for (const p of running) p.child.kill('SIGTERM')
    await bed.teardown()
    rmSync(dir, { recursive: true, force: true })
  }
})

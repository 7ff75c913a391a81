import { spawn } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI_ENTRY } from '../src/cli/spawn.js'
import { freePort, procStat, sleep, stopped, torrentOf, waitForLine } from './process-tools.js'

/**
 * Issue 12's daemon targets, side by side with transmission-daemon (Debian's, the reference
 * a torrent daemon is measured against) in one run: 1,000 torrents of which 200 seed and 800
 * are paused; resident memory and CPU while idle, and the latency of adding a torrent and of
 * listing them all through each daemon's RPC. Loopback only: no trackers, DHT, LPD, PEX or
 * port mapping on either side.
 */

const ACTIVE = 200
const PAUSED = 800
const PIECE = 16 * 1024
const ACTIVE_BYTES = 64 * 1024
const IDLE_SECONDS = 20
const LIST_SAMPLES = 100

interface Side {
  readonly addMs: number[]
  readonly listMs: number[]
  readonly rssMiB: number
  readonly idleCpuPercent: number
}

interface Daemon {
  readonly pid: number
  add(torrent: Uint8Array, paused: boolean): Promise<void>
  list(): Promise<number>
  activeSeeding(): Promise<number>
  stop(): Promise<void>
}

/** 200 torrents whose data is in `dataDir` (they seed) and 800 whose data is nowhere. */
function makeTorrents(dataDir: string): { active: Uint8Array[]; paused: Uint8Array[] } {
  const active: Uint8Array[] = []
  const paused: Uint8Array[] = []
  for (let i = 0; i < ACTIVE + PAUSED; i++) {
    const content = new Uint8Array(i < ACTIVE ? ACTIVE_BYTES : PIECE * 4)
    randomFillSync(content)
    const name = `t${String(i).padStart(4, '0')}.bin`
    if (i < ACTIVE) {
      writeFileSync(join(dataDir, name), content)
      active.push(torrentOf(name, content, PIECE))
    } else paused.push(torrentOf(name, content, PIECE))
  }
  return { active, paused }
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

const timed = async (work: () => Promise<unknown>): Promise<number> => {
  const started = performance.now()
  await work()
  return performance.now() - started
}

async function startPlexus(work: string): Promise<Daemon> {
  const dataDir = join(work, 'plexus')
  const downloads = join(dataDir, 'downloads')
  mkdirSync(downloads, { recursive: true })
  const config = join(work, 'plexus.toml')
  writeFileSync(
    config,
    [
      '[peer]',
      'bind = "127.0.0.1"',
      'port = 0',
      'trackers = false',
      'connections_max = 500',
      '[api]',
      'port = 0',
      '[dht]',
      'enabled = false',
    ].join('\n') + '\n',
  )
  const child = spawn(
    process.execPath,
    [CLI_ENTRY, 'daemon', '--config', config, '--data-dir', dataDir, '--json'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const ready = JSON.parse(await waitForLine(child, (line) => line.includes('"listening"'))) as {
    api: string
  }
  const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim()
  const headers = { authorization: `Bearer ${token}` }
  const base = `${ready.api.replace(/\/$/, '')}`
  const api = base.endsWith('/api/v1') ? base : `${base}/api/v1`
  const torrents = async (): Promise<{ state: string }[]> => {
    const response = await fetch(`${api}/torrents`, { headers })
    return ((await response.json()) as { torrents: { state: string }[] }).torrents
  }
  return {
    pid: child.pid as number,
    async add(torrent, paused) {
      const response = await fetch(`${api}/torrents${paused ? '?paused=true' : ''}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/x-bittorrent' },
        body: torrent,
      })
      if (response.status !== 201) throw new Error(`plexus add: ${response.status}`)
    },
    list: async () => (await torrents()).length,
    activeSeeding: async () => (await torrents()).filter((t) => t.state === 'seeding').length,
    stop: () => stopped(child),
  }
}

/** Transmission's RPC: JSON over HTTP with the CSRF session id it hands out on a 409. */
async function startTransmission(work: string, dataDir: string): Promise<Daemon> {
  const config = join(work, 'transmission')
  mkdirSync(config, { recursive: true })
  const rpcPort = await freePort()
  writeFileSync(
    join(config, 'settings.json'),
    JSON.stringify({
      'download-dir': dataDir,
      'rpc-port': rpcPort,
      'rpc-bind-address': '127.0.0.1',
      'rpc-whitelist': '127.0.0.1',
      'rpc-whitelist-enabled': true,
      'rpc-host-whitelist-enabled': false,
      'rpc-authentication-required': false,
      'bind-address-ipv4': '127.0.0.1',
      'bind-address-ipv6': '::1',
      'peer-port': await freePort(),
      'peer-port-random-on-start': false,
      'dht-enabled': false,
      'lpd-enabled': false,
      'pex-enabled': false,
      'utp-enabled': false,
      'port-forwarding-enabled': false,
      'blocklist-enabled': false,
      'start-added-torrents': true,
      'download-queue-enabled': false,
      'seed-queue-enabled': false,
      'message-level': 1,
    }),
  )
  const child = spawn('transmission-daemon', ['-f', '-g', config], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${rpcPort}/transmission/rpc`
  let sessionId = ''
  const rpc = async (method: string, args: object): Promise<Record<string, unknown>> => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'x-transmission-session-id': sessionId },
        body: JSON.stringify({ method, arguments: args }),
      })
      if (response.status === 409) {
        sessionId = response.headers.get('x-transmission-session-id') ?? ''
        continue
      }
      const body = (await response.json()) as { result: string; arguments: object }
      if (body.result !== 'success') throw new Error(`transmission ${method}: ${body.result}`)
      return body.arguments as Record<string, unknown>
    }
    throw new Error(`transmission ${method}: no session id`)
  }
  for (let waited = 0; ; waited += 100) {
    try {
      await rpc('session-get', {})
      break
    } catch (error) {
      if (waited > 30_000) throw error
      await sleep(100)
    }
  }
  const torrents = async (): Promise<{ status: number }[]> =>
    (await rpc('torrent-get', { fields: ['id', 'name', 'status', 'percentDone'] }))['torrents'] as {
      status: number
    }[]
  return {
    pid: child.pid as number,
    async add(torrent, paused) {
      await rpc('torrent-add', {
        metainfo: Buffer.from(torrent).toString('base64'),
        paused,
        'download-dir': dataDir,
      })
    },
    list: async () => (await torrents()).length,
    // Transmission's status 6 is "seeding".
    activeSeeding: async () => (await torrents()).filter((t) => t.status === 6).length,
    stop: () => stopped(child),
  }
}

async function measure(daemon: Daemon, torrents: ReturnType<typeof makeTorrents>): Promise<Side> {
  const addMs: number[] = []
  for (const torrent of torrents.active) addMs.push(await timed(() => daemon.add(torrent, false)))
  for (const torrent of torrents.paused) addMs.push(await timed(() => daemon.add(torrent, true)))
  for (let waited = 0; (await daemon.activeSeeding()) < ACTIVE && waited < 120_000;) {
    await sleep(500)
    waited += 500
  }
  const seeding = await daemon.activeSeeding()
  if (seeding < ACTIVE) throw new Error(`only ${seeding} of ${ACTIVE} torrents seed`)
  await sleep(5_000)
  const before = procStat(daemon.pid)
  await sleep(IDLE_SECONDS * 1000)
  const after = procStat(daemon.pid)
  const listMs: number[] = []
  for (let i = 0; i < LIST_SAMPLES; i++) {
    listMs.push(
      await timed(async () => {
        const count = await daemon.list()
        if (count !== ACTIVE + PAUSED) throw new Error(`listed ${count} torrents`)
      }),
    )
  }
  return {
    addMs,
    listMs,
    rssMiB: after.rssBytes / 2 ** 20,
    idleCpuPercent: (100 * (after.cpuSeconds - before.cpuSeconds)) / IDLE_SECONDS,
  }
}

const round = (value: number): number => Math.round(value * 100) / 100

export async function benchDaemonScale(): Promise<Record<string, number>> {
  const work = mkdtempSync(join(tmpdir(), 'plexus-bench-daemon-'))
  try {
    // The plexus daemon's default download dir is <data dir>/downloads: the data goes there.
    const plexusData = join(work, 'plexus', 'downloads')
    mkdirSync(plexusData, { recursive: true })
    const plexusTorrents = makeTorrents(plexusData)
    const plexus = await startPlexus(work)
    let ours: Side
    try {
      ours = await measure(plexus, plexusTorrents)
    } finally {
      await plexus.stop()
    }
    const theirData = join(work, 'transmission-data')
    mkdirSync(theirData)
    const theirTorrents = makeTorrents(theirData)
    const transmission = await startTransmission(work, theirData)
    let theirs: Side
    try {
      theirs = await measure(transmission, theirTorrents)
    } finally {
      await transmission.stop()
    }
    return {
      torrents: ACTIVE + PAUSED,
      active: ACTIVE,
      plexusRssMiB: round(ours.rssMiB),
      transmissionRssMiB: round(theirs.rssMiB),
      rssRatio: round(ours.rssMiB / theirs.rssMiB),
      plexusIdleCpuPercent: round(ours.idleCpuPercent),
      transmissionIdleCpuPercent: round(theirs.idleCpuPercent),
      plexusAddP99Ms: round(quantile(ours.addMs, 0.99)),
      transmissionAddP99Ms: round(quantile(theirs.addMs, 0.99)),
      plexusListP99Ms: round(quantile(ours.listMs, 0.99)),
      transmissionListP99Ms: round(quantile(theirs.listMs, 0.99)),
      listP99Ratio: round(quantile(ours.listMs, 0.99) / quantile(theirs.listMs, 0.99)),
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

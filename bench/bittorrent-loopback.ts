import { randomFillSync } from 'node:crypto'
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { CLI_ENTRY, jsonLine, spawnLines, spawnPlexus, type LineProcess } from '../src/cli/spawn.js'
import { NodeClock } from '../src/drivers/node/clock.js'
import { startHttpTracker } from '../src/drivers/node/http-tracker.js'
import { CryptoRandom } from '../src/drivers/node/random.js'

/**
 * Loopback BitTorrent throughput, plexus against libtorrent (python3-libtorrent, Debian's
 * libtorrent-rasterbar 2.0), side by side in one run on one machine:
 *
 * (a) one seed -> one leecher, `pairBytes` (1 GiB): plexus seed -> plexus get, then libtorrent
 *     -> libtorrent. Throughput is payload bytes over the time from starting the leecher process
 *     to its "download complete" line (process start-up included for both: node ~0.1 s,
 *     python + libtorrent ~0.2 s). CPU is user + system seconds of the seed and the leecher
 *     processes (all threads: hashing workers, libuv's pool, libtorrent's disk threads), read
 *     from /proc/<pid>/stat once the download completed, per GiB moved; the seed's CPU before
 *     the leecher started (its check of the data) is left out. Then the mixed pairs, plexus
 *     seed -> libtorrent and libtorrent seed -> plexus, as ratios to libtorrent -> libtorrent.
 *     PLEXUS_BENCH_PAIR_BYTES sets the size (256 MiB is enough on a busy machine).
 * (b) one seed -> 8 leechers of `swarmBytes` through an HTTP tracker on 127.0.0.1 (plexus's own
 *     tracker for both): time until the last leecher completes (PLEXUS_BENCH_SWARM_LEECHERS:
 *     how many; 0 skips this case).
 *
 * Each process gets a fresh data directory on the same file system; the content is random.
 * Both clients run with their defaults except what loopback needs (libtorrent: several
 * connections per IP; DHT, LSD, UPnP, NAT-PMP, uTP off; see test/interop/python/lt_session.py).
 * Requires /usr/bin/python3 with libtorrent (.ci/run installs it).
 *
 * Both sides use the same torrent file, made by `plexus create` (hybrid v1 + v2, the default of
 * both clients), so both hash every piece with SHA-1 and SHA-256.
 *
 * PLEXUS_BENCH_BT_NODE_ARGS: extra Node flags for the plexus seed and leechers (not `create`),
 * split on spaces, e.g. `--cpu-prof --cpu-prof-dir=/tmp/x` (Node refuses --cpu-prof in
 * NODE_OPTIONS) or `--trace-gc` (its lines go to stdout, which the bench skips as non-JSON).
 */

const GiB = 1024 ** 3
const MiB = 1024 ** 2
const PYTHON = '/usr/bin/python3'
const LT_SESSION = fileURLToPath(
  new URL('../../test/interop/python/lt_session.py', import.meta.url),
)
const CLOCK_TICKS_PER_SECOND = 100
/**
 * TCP, as libtorrent runs here (lt_session.py turns uTP off): both clients try uTP first by
 * default, and uTP in user space is a different benchmark (`npm run bench -- utp`).
 */
const PLEXUS_TRANSPORT = ['--transport', 'tcp'] as const
const DOWNLOAD_TIMEOUT_MS = 15 * 60_000

/** `plexus <args>` for a seed or leecher, with PLEXUS_BENCH_BT_NODE_ARGS's flags before it. */
function spawnPeer(args: readonly string[]): LineProcess {
  const flags = (process.env['PLEXUS_BENCH_BT_NODE_ARGS'] ?? '').split(' ').filter((f) => f !== '')
  if (flags.length === 0) return spawnPlexus(args)
  return spawnLines(process.execPath, [...flags, CLI_ENTRY, ...args], { inheritStderr: true })
}

export interface BenchLoopbackOptions {
  readonly pairBytes?: number
  readonly swarmBytes?: number
  readonly swarmLeechers?: number
}

type Client = 'plexus' | 'libtorrent'

interface Started {
  readonly process: LineProcess
  readonly pid: number
}

/** user + system CPU seconds of a live process, all threads. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return (utime + stime) / CLOCK_TICKS_PER_SECOND
}

function writeRandomFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w')
  const chunk = Buffer.alloc(16 * MiB)
  for (let left = bytes; left > 0; left -= chunk.length) {
    randomFillSync(chunk)
    writeSync(fd, chunk, 0, Math.min(chunk.length, left))
  }
  closeSync(fd)
}

async function createTorrent(
  path: string,
  output: string,
  tracker: string | undefined,
): Promise<void> {
  const args = ['create', path, '-o', output, '--no-date', '--json']
  if (tracker !== undefined) args.push('-t', tracker)
  const created = spawnPlexus(args)
  const code = await created.exited
  if (code !== 0) throw new Error(`plexus create exited with ${code}`)
}

function started(process: LineProcess): Started {
  const pid = process.child.pid
  if (pid === undefined) throw new Error('process did not start')
  return { process, pid }
}

const lineOfType =
  (type: string) =>
  (line: string): Record<string, unknown> | undefined => {
    const event = jsonLine(line)
    return event?.type === type ? event : undefined
  }

/** A seed on 127.0.0.1, resolved once it serves every piece; returns it and its port. */
async function startSeed(
  client: Client,
  torrent: string,
  dataDir: string,
  withTracker: boolean,
): Promise<Started & { port: number }> {
  if (client === 'plexus') {
    // Every peer of the bench is on 127.0.0.1; libtorrent's side allows that too.
    const args = ['seed', torrent, '--data', dataDir, '--bind', '127.0.0.1', '--port', '0']
    args.push('--max-peers-per-ip', '64', ...PLEXUS_TRANSPORT)
    if (!withTracker) args.push('--no-trackers')
    const seed = started(spawnPeer([...args, '--json']))
    const ready = await seed.process.waitForLine(lineOfType('ready'), 120_000)
    const port = Number(String(ready['listen']).split(':').pop())
    return { ...seed, port }
  }
  const seed = started(spawnLines(PYTHON, [LT_SESSION, torrent, dataDir, '--timeout', '3600']))
  const listening = await seed.process.waitForLine(lineOfType('listening'), 60_000)
  // libtorrent checks the files after it starts listening: wait until it seeds.
  await seed.process.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'progress' && event['progress'] === 1 ? event : undefined
  }, 120_000)
  return { ...seed, port: Number(listening['port']) }
}

function startLeecher(
  client: Client,
  torrent: string,
  outDir: string,
  seedPort: number | undefined,
): Started {
  const peer = seedPort === undefined ? [] : ['--peer', `127.0.0.1:${seedPort}`]
  if (client === 'plexus') {
    const args = ['get', torrent, '-o', outDir, '--bind', '127.0.0.1', '--port', '0']
    args.push('--max-peers-per-ip', '64', ...PLEXUS_TRANSPORT)
    if (seedPort !== undefined) args.push('--no-trackers')
    return started(spawnPeer([...args, ...peer, '--seed-after', '--json']))
  }
  return started(spawnLines(PYTHON, [LT_SESSION, torrent, outDir, ...peer, '--timeout', '3600']))
}

const completionLine = (client: Client): ((line: string) => unknown) =>
  lineOfType(client === 'plexus' ? 'download_completed' : 'complete')

interface PairResult {
  readonly seconds: number
  readonly mbPerSecond: number
  readonly cpuSecondsPerGiB: number
  readonly leecherCpuSecondsPerGiB: number
}

async function runPair(
  seedClient: Client,
  work: string,
  bytes: number,
  client: Client = seedClient,
): Promise<PairResult> {
  const torrent = join(work, 'pair.torrent')
  const seed = await startSeed(seedClient, torrent, join(work, 'data'), false)
  const out = join(work, `out-${seedClient}-${client}`)
  // The seed's start-up check of its data is not part of the transfer: count from here.
  const seedCpuBefore = cpuSeconds(seed.pid)
  const begin = performance.now()
  const leecher = startLeecher(client, torrent, out, seed.port)
  try {
    await leecher.process.waitForLine(completionLine(client), DOWNLOAD_TIMEOUT_MS)
    const seconds = (performance.now() - begin) / 1000
    const leecherCpu = cpuSeconds(leecher.pid)
    const cpu = leecherCpu + cpuSeconds(seed.pid) - seedCpuBefore
    return {
      seconds,
      mbPerSecond: bytes / 1e6 / seconds,
      cpuSecondsPerGiB: cpu / (bytes / GiB),
      leecherCpuSecondsPerGiB: leecherCpu / (bytes / GiB),
    }
  } finally {
    await Promise.all([leecher.process.stop(), seed.process.stop()])
    rmSync(out, { recursive: true, force: true })
  }
}

interface SwarmResult {
  readonly seconds: number
  /** user + system of the seed (from the leechers' start) and every leecher (at its completion). */
  readonly cpuSeconds: number
}

async function runSwarm(
  client: Client,
  work: string,
  torrent: string,
  leechers: number,
): Promise<SwarmResult> {
  const seed = await startSeed(client, torrent, join(work, 'swarm-data'), true)
  const seedCpuBefore = cpuSeconds(seed.pid)
  const begin = performance.now()
  const peers: Started[] = []
  try {
    for (let i = 0; i < leechers; i++) {
      peers.push(startLeecher(client, torrent, join(work, `swarm-${client}-${i}`), undefined))
    }
    const leecherCpu = await Promise.all(
      peers.map(async (p) => {
        await p.process.waitForLine(completionLine(client), DOWNLOAD_TIMEOUT_MS)
        return cpuSeconds(p.pid)
      }),
    )
    const seconds = (performance.now() - begin) / 1000
    const cpu = leecherCpu.reduce((sum, c) => sum + c, cpuSeconds(seed.pid) - seedCpuBefore)
    return { seconds, cpuSeconds: cpu }
  } finally {
    await Promise.all([...peers.map((p) => p.process.stop()), seed.process.stop()])
    for (let i = 0; i < leechers; i++) {
      rmSync(join(work, `swarm-${client}-${i}`), { recursive: true, force: true })
    }
  }
}

const round = (value: number, digits = 2): number => Number(value.toFixed(digits))

export async function benchBittorrentLoopback(
  options: BenchLoopbackOptions = {},
): Promise<Record<string, number>> {
  const pairBytes = options.pairBytes ?? Number(process.env['PLEXUS_BENCH_PAIR_BYTES'] ?? GiB)
  const swarmBytes =
    options.swarmBytes ?? Number(process.env['PLEXUS_BENCH_SWARM_BYTES'] ?? 256 * MiB)
  // PLEXUS_BENCH_SWARM_LEECHERS=0 skips the swarm case (quick pair-only runs).
  const swarmLeechers =
    options.swarmLeechers ?? Number(process.env['PLEXUS_BENCH_SWARM_LEECHERS'] ?? 8)
  const work = mkdtempSync(join(tmpdir(), 'plexus-bench-bt-'))
  const tracker = await startHttpTracker({
    local: { host: '127.0.0.1', port: 0 },
    clock: new NodeClock(),
    random: new CryptoRandom(),
  })
  try {
    // PLEXUS_BENCH_PAIR_BYTES=0 skips the pairs (swarm-only runs).
    const pairs = pairBytes === 0 ? {} : await runPairs(work, pairBytes)
    if (swarmLeechers === 0) return pairs

    const swarmDir = join(work, 'swarm-data')
    mkdirSync(swarmDir)
    writeRandomFile(join(swarmDir, 'swarm.bin'), swarmBytes)
    const swarmTorrent = join(work, 'swarm.torrent')
    await createTorrent(join(swarmDir, 'swarm.bin'), swarmTorrent, tracker.announceUrl)
    const plexusSwarm = await runSwarm('plexus', work, swarmTorrent, swarmLeechers)
    const libtorrentSwarm = await runSwarm('libtorrent', work, swarmTorrent, swarmLeechers)
    // CPU per GiB delivered: each leecher receives the whole content once.
    const swarmGiB = (swarmBytes * swarmLeechers) / GiB

    return {
      ...pairs,
      swarmMiB: swarmBytes / MiB,
      swarmLeechers,
      plexusSwarmSeconds: round(plexusSwarm.seconds),
      libtorrentSwarmSeconds: round(libtorrentSwarm.seconds),
      swarmTimeRatio: round(plexusSwarm.seconds / libtorrentSwarm.seconds),
      plexusSwarmCpuSecondsPerGiB: round(plexusSwarm.cpuSeconds / swarmGiB),
      libtorrentSwarmCpuSecondsPerGiB: round(libtorrentSwarm.cpuSeconds / swarmGiB),
    }
  } finally {
    await tracker.close()
    rmSync(work, { recursive: true, force: true })
  }
}

/** The four pairs on the content at data/pair.bin, as ratios to libtorrent -> libtorrent. */
async function runPairs(work: string, pairBytes: number): Promise<Record<string, number>> {
  // The content lives at data/pair.bin for both clients (the torrent's name is the file's).
  const dataDir = join(work, 'data')
  mkdirSync(dataDir)
  writeRandomFile(join(dataDir, 'pair.bin'), pairBytes)
  await createTorrent(join(dataDir, 'pair.bin'), join(work, 'pair.torrent'), undefined)
  const plexus = await runPair('plexus', work, pairBytes)
  const libtorrent = await runPair('libtorrent', work, pairBytes)
  // Mixed pairs: which side limits plexus <-> libtorrent.
  const plexusToLt = await runPair('plexus', work, pairBytes, 'libtorrent')
  const ltToPlexus = await runPair('libtorrent', work, pairBytes, 'plexus')
  rmSync(dataDir, { recursive: true, force: true })
  return {
    pairMiB: pairBytes / MiB,
    plexusMBps: round(plexus.mbPerSecond, 1),
    libtorrentMBps: round(libtorrent.mbPerSecond, 1),
    throughputRatio: round(plexus.mbPerSecond / libtorrent.mbPerSecond),
    plexusToLibtorrentMBps: round(plexusToLt.mbPerSecond, 1),
    plexusToLibtorrentRatio: round(plexusToLt.mbPerSecond / libtorrent.mbPerSecond),
    libtorrentToPlexusMBps: round(ltToPlexus.mbPerSecond, 1),
    libtorrentToPlexusRatio: round(ltToPlexus.mbPerSecond / libtorrent.mbPerSecond),
    plexusCpuSecondsPerGiB: round(plexus.cpuSecondsPerGiB),
    libtorrentCpuSecondsPerGiB: round(libtorrent.cpuSecondsPerGiB),
    cpuRatio: round(plexus.cpuSecondsPerGiB / libtorrent.cpuSecondsPerGiB),
    plexusLeecherCpuSecondsPerGiB: round(plexus.leecherCpuSecondsPerGiB),
    libtorrentLeecherCpuSecondsPerGiB: round(libtorrent.leecherCpuSecondsPerGiB),
    plexusSeedCpuSecondsPerGiB: round(plexus.cpuSecondsPerGiB - plexus.leecherCpuSecondsPerGiB),
    libtorrentSeedCpuSecondsPerGiB: round(
      libtorrent.cpuSecondsPerGiB - libtorrent.leecherCpuSecondsPerGiB,
    ),
  }
}

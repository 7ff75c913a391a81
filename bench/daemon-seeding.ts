import { spawn, type ChildProcess } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI_ENTRY } from '../src/cli/spawn.js'
import { freePort, procStat, sleep, stopped, torrentOf, waitForLine } from './process-tools.js'

/**
 * Issue 12: "one daemon serving 8 leechers beats 8 separate `plexus seed` processes". Eight
 * torrents of 32 MiB, one leecher (`plexus get`) for each, on 127.0.0.1; the seeding side is
 * either one daemon holding all eight or eight `plexus seed` processes. Measured: the time
 * until every leecher completes, and the seeding side's CPU seconds and resident memory.
 */

const TORRENTS = 8
const SIZE = 32 * 1024 * 1024
const PIECE = 256 * 1024

interface Sample {
  readonly seconds: number
  readonly seedCpuSeconds: number
  readonly seedRssMiB: number
}

const plexusArgs = (...args: string[]): ChildProcess =>
  spawn(process.execPath, [CLI_ENTRY, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })

function makeContent(dataDir: string): string[] {
  const torrents: string[] = []
  for (let i = 0; i < TORRENTS; i++) {
    const content = new Uint8Array(SIZE)
    randomFillSync(content)
    const name = `s${i}.bin`
    writeFileSync(join(dataDir, name), content)
    const torrent = join(dataDir, '..', `${name}.torrent`)
    writeFileSync(torrent, torrentOf(name, content, PIECE))
    torrents.push(torrent)
  }
  return torrents
}

/** Eight leechers, one per torrent, from `port`; resolves when all completed. */
async function leechers(work: string, torrents: readonly string[], port: number): Promise<void> {
  const getters = torrents.map((torrent, i) =>
    plexusArgs(
      'get',
      torrent,
      '-o',
      join(work, `out-${i}`),
      '--bind',
      '127.0.0.1',
      '--peer',
      `127.0.0.1:${port}`,
      '--no-trackers',
      '--no-dht',
      '--max-peers-per-ip',
      '64',
      '--json',
    ),
  )
  const codes = await Promise.all(
    getters.map((child) => new Promise<number | null>((resolve) => child.once('exit', resolve))),
  )
  if (codes.some((code) => code !== 0)) throw new Error(`a leecher failed: ${codes.join(',')}`)
}

/** Samples the seeding processes' memory while the transfer runs; keeps the peak sum. */
function watchRss(pids: () => readonly number[]): { stop(): number } {
  let peak = 0
  const timer = setInterval(() => {
    const sum = pids().reduce((total, pid) => total + procStat(pid).rssBytes, 0)
    peak = Math.max(peak, sum)
  }, 200)
  return {
    stop() {
      clearInterval(timer)
      return peak / 2 ** 20
    },
  }
}

async function oneDaemon(work: string, dataDir: string, torrents: string[]): Promise<Sample> {
  mkdirSync(work, { recursive: true })
  const port = await freePort()
  const daemonDir = join(work, 'daemon')
  const config = join(work, 'daemon.toml')
  writeFileSync(
    config,
    `[peer]\nbind = "127.0.0.1"\nport = ${port}\ndownload_dir = "${dataDir}"\n` +
      'trackers = false\n[api]\nport = 0\n[dht]\nenabled = false\n',
  )
  const daemon = plexusArgs('daemon', '--config', config, '--data-dir', daemonDir, '--json')
  try {
    const ready = JSON.parse(await waitForLine(daemon, (l) => l.includes('"listening"'))) as {
      api: string
    }
    const token = readFileSync(join(daemonDir, 'api-token'), 'utf8').trim()
    const headers = { authorization: `Bearer ${token}` }
    for (const torrent of torrents) {
      const added = await fetch(`${ready.api}/api/v1/torrents`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/x-bittorrent' },
        body: readFileSync(torrent),
      })
      if (added.status !== 201) throw new Error(`daemon add: ${added.status}`)
    }
    for (;;) {
      const listed = await fetch(`${ready.api}/api/v1/torrents`, { headers })
      const all = ((await listed.json()) as { torrents: { state: string }[] }).torrents
      if (all.every((t) => t.state === 'seeding')) break
      await sleep(200)
    }
    const pid = daemon.pid as number
    const cpuBefore = procStat(pid).cpuSeconds
    const rss = watchRss(() => [pid])
    const started = performance.now()
    await leechers(work, torrents, port)
    const seconds = (performance.now() - started) / 1000
    return {
      seconds,
      seedCpuSeconds: procStat(pid).cpuSeconds - cpuBefore,
      seedRssMiB: rss.stop(),
    }
  } finally {
    await stopped(daemon)
  }
}

async function eightSeeds(work: string, dataDir: string, torrents: string[]): Promise<Sample> {
  mkdirSync(work, { recursive: true })
  const seeds = torrents.map((torrent) =>
    plexusArgs(
      'seed',
      torrent,
      '--data',
      dataDir,
      '--bind',
      '127.0.0.1',
      '--no-trackers',
      '--no-dht',
      '--max-peers-per-ip',
      '64',
      '--json',
    ),
  )
  try {
    const ports = await Promise.all(
      seeds.map(async (seed) => {
        const line = await waitForLine(seed, (l) => l.includes('"type":"ready"'))
        return Number(
          String((JSON.parse(line) as { listen: string }).listen)
            .split(':')
            .pop(),
        )
      }),
    )
    const pids = seeds.map((seed) => seed.pid as number)
    const cpuBefore = pids.reduce((sum, pid) => sum + procStat(pid).cpuSeconds, 0)
    const rss = watchRss(() => pids)
    const started = performance.now()
    await Promise.all(
      torrents.map((torrent, i) => leechers(join(work, `one-${i}`), [torrent], ports[i] as number)),
    )
    const seconds = (performance.now() - started) / 1000
    const cpuAfter = pids.reduce((sum, pid) => sum + procStat(pid).cpuSeconds, 0)
    return { seconds, seedCpuSeconds: cpuAfter - cpuBefore, seedRssMiB: rss.stop() }
  } finally {
    await Promise.all(seeds.map((seed) => stopped(seed)))
  }
}

const round2 = (value: number): number => Math.round(value * 100) / 100

/** Rounds of the two setups, alternating which goes first (the page cache, dirty pages). */
const ROUNDS = 3

const median = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number

export async function benchDaemonSeeding(): Promise<Record<string, number | string>> {
  const work = mkdtempSync(join(tmpdir(), 'plexus-bench-seeding-'))
  try {
    const dataDir = join(work, 'data')
    mkdirSync(dataDir)
    const torrents = makeContent(dataDir)
    const daemon: Sample[] = []
    const separate: Sample[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const one = (): Promise<number> =>
        oneDaemon(join(work, `a${round}`), dataDir, torrents).then((s) => daemon.push(s))
      const eight = (): Promise<number> =>
        eightSeeds(join(work, `b${round}`), dataDir, torrents).then((s) => separate.push(s))
      if (round % 2 === 0) await one().then(eight)
      else await eight().then(one)
      rmSync(join(work, `a${round}`), { recursive: true, force: true })
      rmSync(join(work, `b${round}`), { recursive: true, force: true })
    }
    const seconds = (samples: Sample[]) => median(samples.map((s) => s.seconds))
    const cpu = (samples: Sample[]) => median(samples.map((s) => s.seedCpuSeconds))
    const rss = (samples: Sample[]) => median(samples.map((s) => s.seedRssMiB))
    const each = (samples: Sample[]) => samples.map((s) => round2(s.seconds)).join(' / ')
    return {
      torrents: TORRENTS,
      mibEach: SIZE / 2 ** 20,
      rounds: ROUNDS,
      daemonSecondsEach: each(daemon),
      eightSeedsSecondsEach: each(separate),
      daemonSeconds: round2(seconds(daemon)),
      eightSeedsSeconds: round2(seconds(separate)),
      timeRatio: round2(seconds(daemon) / seconds(separate)),
      daemonSeedCpuSeconds: round2(cpu(daemon)),
      eightSeedsCpuSeconds: round2(cpu(separate)),
      cpuRatio: round2(cpu(daemon) / cpu(separate)),
      daemonPeakRssMiB: round2(rss(daemon)),
      eightSeedsPeakRssMiB: round2(rss(separate)),
      rssRatio: round2(rss(daemon) / rss(separate)),
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

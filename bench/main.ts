import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { benchBittorrentLoopback } from './bittorrent-loopback.js'
import { benchClientScale } from './client-scale.js'
import { benchDaemonScale } from './daemon-scale.js'
import { benchDaemonSeeding } from './daemon-seeding.js'
import { benchDhtLoopback } from './dht-loopback.js'
import { benchDirectorySearch } from './directory-search.js'
import { benchMapReduce } from './mapreduce.js'
import { benchOnionFromArgs, benchOnionRelaysFromArgs } from './onion.js'
import { benchRelay } from './relay.js'
import { benchTrackerLoad } from './tracker-load.js'
import { benchSim } from './sim.js'
import { benchUtpLoopback } from './utp.js'

/**
 * `npm run bench`: every benchmark, one after the other, printing one JSON object per suite and
 * the machine it ran on. Figures recorded in docs/benchmarks.md come from this command.
 * `npm run bench -- sim` runs one suite.
 */
type Figures = Record<string, number | string>
type Suite = () => Figures | Promise<Figures>

const SUITES: Readonly<Record<string, Suite>> = {
  sim: () => benchSim(),
  bittorrent: () => benchBittorrentLoopback(),
  'client-scale': () => benchClientScale(),
  tracker: () => benchTrackerLoad(),
  dht: () => benchDhtLoopback(),
  directory: () => benchDirectorySearch(),
  daemon: () => benchDaemonScale(),
  'daemon-seeding': () => benchDaemonSeeding(),
  mapreduce: () => benchMapReduce(),
  onion: () => benchOnionFromArgs(),
  'onion-relays': () => benchOnionRelaysFromArgs(),
  utp: () => benchUtpLoopback(),
  relay: () => benchRelay(),
}

async function main(): Promise<void> {
  // Benchmarks send traffic to loopback only: the plexus processes they start inherit the
  // test runner's guard (no public DHT routers, loopback-only sockets).
  process.env['PLEXUS_TEST'] = '1'
  // Their resume data and DHT tables go to a folder of this run, never ~/.local/state.
  const stateDir = mkdtempSync(join(tmpdir(), 'plexus-bench-state-'))
  process.env['PLEXUS_STATE_DIR'] = stateDir
  process.on('exit', () => rmSync(stateDir, { recursive: true, force: true }))
  // `--name=value` arguments are options of a suite (mapreduce's --size), not suite names.
  const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('--'))
  const unknown = wanted.filter((name) => !(name in SUITES))
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown bench suite(s): ${unknown.join(', ')}; known: ${Object.keys(SUITES).join(', ')}\n`,
    )
    process.exitCode = 2
    return
  }
  const cpu = cpus()[0]?.model ?? 'unknown cpu'
  const machine = `${cpus().length} x ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`
  process.stdout.write(`${JSON.stringify({ suite: 'machine', machine })}\n`)
  for (const [name, run] of Object.entries(SUITES)) {
    if (wanted.length > 0 && !wanted.includes(name)) continue
    const results = await run()
    process.stdout.write(`${JSON.stringify({ suite: name, ...results })}\n`)
  }
}

await main()

import type { Command } from 'commander'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { integerOption } from '../options.js'
import { EXIT_INTERRUPTED, printLine } from '../output.js'
import { formatBytes } from '../progress.js'
import { jsonLine, spawnPlexus, type PlexusProcess } from '../spawn.js'

/**
 * `npm start`: a real BitTorrent swarm on 127.0.0.1, every role its own process: a tracker,
 * one seeder and several leechers, sharing a generated file. Shows live progress and ends with
 * a summary (time, throughput, bytes from the seed vs from other leechers). Loopback only.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run a local swarm: tracker, seeder and leechers as processes on 127.0.0.1')
    .option('--leechers <n>', 'leecher processes', integerOption('leechers', 1, 16), 4)
    .option('--size <MiB>', 'size of the generated file', integerOption('size', 1, 4096), 64)
    .option('--keep', 'keep the demo directory afterwards')
    .action(async (options: { leechers: number; size: number; keep?: boolean }) => {
      const dir = mkdtempSync(join(tmpdir(), 'plexus-demo-'))
      const running: PlexusProcess[] = []
      const cleanUp = async (): Promise<void> => {
        for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGTERM')
        await Promise.all(running.map((p) => p.exited))
        if (options.keep === true) printLine(`demo files kept in ${dir}`)
        else rmSync(dir, { recursive: true, force: true })
      }
      // Ctrl-C: stop the processes we started and remove the generated files, then exit 130.
      const onSignal = (): void => {
        process.stdout.write('\ninterrupted: stopping the demo processes\n')
        void cleanUp().then(() => process.exit(EXIT_INTERRUPTED))
      }
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      try {
        await runSwarm(dir, options.leechers, options.size, running)
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
        await cleanUp()
      }
    })
}

interface Progress {
  percent: number
  downloadRate: number
  uploadRate: number
  downloadedBytes: number
  uploadedBytes: number
  peers: number
}

const EMPTY: Progress = {
  percent: 0,
  downloadRate: 0,
  uploadRate: 0,
  downloadedBytes: 0,
  uploadedBytes: 0,
  peers: 0,
}

function track(process: PlexusProcess, into: Map<PlexusProcess, Progress>): void {
  into.set(process, { ...EMPTY })
  process.child.stdout?.setEncoding('utf8')
  let buffered = ''
  process.child.stdout?.on('data', (chunk: string) => {
    buffered += chunk
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const line of lines) {
      const event = jsonLine(line)
      if (event?.type !== 'progress' && event?.type !== 'summary') continue
      const previous = into.get(process) ?? { ...EMPTY }
      into.set(process, { ...previous, ...(event as unknown as Partial<Progress>) })
    }
  })
}

async function runSwarm(dir: string, leechers: number, sizeMiB: number, running: PlexusProcess[]) {
  printLine(`== plexus demo: 1 tracker, 1 seeder, ${leechers} leechers on 127.0.0.1`)
  const tracker = spawnPlexus(['tracker', '--port', '0', '--json'])
  running.push(tracker)
  const announceUrl = await tracker.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'listening' ? String(event['announceUrl']) : undefined
  })
  printLine(`tracker (pid ${tracker.child.pid}): ${announceUrl}`)

  const seedDir = join(dir, 'seed')
  mkdirSync(seedDir)
  const file = join(seedDir, 'demo.bin')
  writeFileSync(file, randomBytes(sizeMiB * 1024 * 1024))
  const torrent = join(dir, 'demo.torrent')
  const create = spawnPlexus(['create', file, '-o', torrent, '-t', announceUrl])
  if ((await create.exited) !== 0) throw new Error('plexus create failed')
  printLine(`created ${torrent} for a ${sizeMiB} MiB file`)

  const progress = new Map<PlexusProcess, Progress>()
  // Loopback only: the demo's peers find each other through its tracker, never the DHT.
  const seed = spawnPlexus([
    'seed',
    torrent,
    '--data',
    seedDir,
    '--bind',
    '127.0.0.1',
    '--no-dht',
    '--state-dir',
    join(dir, 'state-seed'),
    // Every demo peer is on 127.0.0.1: the per-IP cap that guards a real node would cut the swarm.
    '--max-peers-per-ip',
    String(leechers + 1),
    '--json',
  ])
  running.push(seed)
  track(seed, progress)
  await seed.waitForLine((line) => (jsonLine(line)?.type === 'ready' ? true : undefined), 60_000)
  printLine(`seeder (pid ${seed.child.pid}) ready`)

  const started = performance.now()
  const getters: PlexusProcess[] = []
  for (let i = 0; i < leechers; i++) {
    const out = join(dir, `leecher-${i + 1}`)
    const get = spawnPlexus([
      'get',
      torrent,
      '-o',
      out,
      '--bind',
      '127.0.0.1',
      '--seed-after',
      '--no-dht',
      '--state-dir',
      join(dir, `state-${i + 1}`),
      '--max-peers-per-ip',
      String(leechers + 1),
      '--json',
    ])
    running.push(get)
    getters.push(get)
    track(get, progress)
  }
  const finished = new Map<PlexusProcess, number>()
  const ticker = setInterval(() => {
    const parts = getters.map((g, i) => {
      const p = progress.get(g) ?? EMPTY
      return `L${i + 1} ${p.percent.toFixed(0).padStart(3)}% ${formatBytes(p.downloadRate)}/s`
    })
    process.stdout.write(`\r${parts.join(' | ')}\x1b[K`)
  }, 500)
  try {
    await Promise.all(
      getters.map((g) =>
        g
          .waitForLine(
            (line) => (jsonLine(line)?.type === 'download_completed' ? true : undefined),
            600_000,
          )
          .then(() => finished.set(g, performance.now() - started)),
      ),
    )
  } finally {
    clearInterval(ticker)
    process.stdout.write('\n')
  }
  const seconds = (performance.now() - started) / 1000
  // Stop everyone gracefully and read their final byte counts from the summaries.
  for (const p of [seed, ...getters]) p.child.kill('SIGTERM')
  await Promise.all([seed, ...getters].map((p) => p.exited))
  const total = sizeMiB * 1024 * 1024 * leechers
  const fromSeed = progress.get(seed)?.uploadedBytes ?? 0
  printLine(`== summary`)
  getters.forEach((g, i) => {
    const took = ((finished.get(g) ?? 0) / 1000).toFixed(2)
    printLine(`leecher ${i + 1}: complete in ${took} s`)
  })
  printLine(
    `all ${leechers} leechers complete in ${seconds.toFixed(2)} s: ` +
      `${formatBytes(total)} delivered, ${formatBytes(total / seconds)}/s aggregate`,
  )
  printLine(
    `from the seed: ${formatBytes(fromSeed)} (${((100 * fromSeed) / total).toFixed(1)}%); ` +
      `from other leechers: ${formatBytes(Math.max(0, total - fromSeed))}`,
  )
}

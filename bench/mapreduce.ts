import { execFileSync } from 'node:child_process'
import {
  mkdtempSync,
  openSync,
  closeSync,
  writeSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { spawnPlexus } from '../src/cli/spawn.js'
import { SeededRandom } from '../src/core/random.js'

/**
 * Word count over a deterministic Zipf-distributed text generated here (a vocabulary of 20,000
 * synthetic words, P(rank k) ~ 1/k), three ways side by side in one run:
 *
 * - plexus: `plexus mr master` + 4 `plexus mr worker` processes on loopback, the bench's JS job
 *   (bench/mapreduce-wordcount.ts), with the combiner and without it (shuffle bytes of both);
 * - `LC_ALL=C tr -cs A-Za-z '\n' | sort | uniq -c`;
 * - an in-process count on two worker threads (each counts half the file; the maps are merged).
 *
 * Size: `npm run bench -- mapreduce --size=MiB` (default 64 MiB; the issue asks for 1 GiB).
 */

const VOCABULARY = 20_000
const WORKERS = 4
const JOB = fileURLToPath(new URL('./mapreduce-wordcount.js', import.meta.url))

function sizeMiB(): number {
  const option = process.argv.find((arg) => arg.startsWith('--size='))
  const value = option === undefined ? 64 : Number(option.slice('--size='.length))
  if (!Number.isFinite(value) || value <= 0) throw new Error(`bad --size: ${option}`)
  return value
}

function syntheticWord(random: SeededRandom): string {
  const length = 2 + random.int(9)
  let word = ''
  for (let i = 0; i < length; i++) word += String.fromCharCode(97 + random.int(26))
  return random.int(10) === 0 ? word[0]?.toUpperCase() + word.slice(1) : word
}

/** Writes `bytes` of Zipf text: lines of 4 to 15 words drawn by rank with P ~ 1/rank. */
export function writeZipfText(path: string, bytes: number, seed = 42): void {
  const random = new SeededRandom(seed)
  const words = Array.from({ length: VOCABULARY }, () => syntheticWord(random))
  const cumulative = new Float64Array(VOCABULARY)
  let total = 0
  for (let rank = 0; rank < VOCABULARY; rank++) cumulative[rank] = total += 1 / (rank + 1)
  const draw = (): string => {
    const target = random.float() * total
    let low = 0
    let high = VOCABULARY - 1
    while (low < high) {
      const middle = (low + high) >> 1
      if ((cumulative[middle] as number) < target) low = middle + 1
      else high = middle
    }
    return words[low] as string
  }
  const fd = openSync(path, 'w')
  let written = 0
  let chunk = ''
  while (written < bytes) {
    const count = 4 + random.int(12)
    let line = draw()
    for (let i = 1; i < count; i++) line += (random.int(8) === 0 ? ', ' : ' ') + draw()
    chunk += `${line}.\n`
    if (chunk.length > 1 << 20) {
      written += writeSync(fd, chunk)
      chunk = ''
    }
  }
  if (chunk !== '') writeSync(fd, chunk)
  closeSync(fd)
}

async function runPlexus(
  input: string,
  output: string,
  combine: boolean,
): Promise<{ seconds: number; shuffleBytes: number }> {
  const started = performance.now()
  const args = [
    'mr',
    'master',
    '--json',
    '--port',
    '0',
    '-o',
    output,
    '-r',
    String(WORKERS),
    // No --split-size: the engine sizes splits to the input (16 map tasks, 1 to 32 MiB each).
    JOB,
    input,
  ]
  const master = spawnPlexus(combine ? [...args, '--combine'] : args, false)
  const address = await master.waitForLine((line) => {
    const parsed = JSON.parse(line) as { type: string; address?: string }
    return parsed.type === 'listening' ? parsed.address : undefined
  }, 60_000)
  const workers = Array.from({ length: WORKERS }, () =>
    spawnPlexus(['mr', 'worker', '--master', address], false),
  )
  const summary = await master.waitForLine(
    (line) => (line.includes('"summary"') ? line : undefined),
    3_600_000,
  )
  await master.exited
  await Promise.all(workers.map((worker) => worker.exited))
  const counters = (JSON.parse(summary) as { counters: Record<string, number> }).counters
  return {
    seconds: (performance.now() - started) / 1000,
    shuffleBytes: counters['TaskCounter,MAP_OUTPUT_MATERIALIZED_BYTES'] ?? 0,
  }
}

function runTrSort(input: string): { seconds: number; counts: Map<string, number> } {
  const started = performance.now()
  const text = execFileSync(
    '/bin/sh',
    ['-c', `tr -cs A-Za-z '\\n' < '${input}' | sort | uniq -c`],
    {
      env: { ...process.env, LC_ALL: 'C' },
      maxBuffer: 1 << 30,
    },
  ).toString()
  const seconds = (performance.now() - started) / 1000
  const counts = new Map<string, number>()
  for (const line of text.split('\n')) {
    const match = /^\s*(\d+) ([A-Za-z]+)$/.exec(line)
    if (match !== null) counts.set(match[2] as string, Number(match[1]))
  }
  return { seconds, counts }
}

const COUNT_THREAD = `
const { parentPort, workerData } = require('node:worker_threads')
const { openSync, readSync, closeSync } = require('node:fs')
const { path, start, end } = workerData
const fd = openSync(path, 'r')
const counts = new Map()
const chunk = Buffer.allocUnsafe(8 << 20)
let position = start
let carry = ''
// Each thread owns the words that start in its half; a word cut by the boundary goes to the first.
if (start > 0) {
  const probe = Buffer.alloc(1)
  readSync(fd, probe, 0, 1, start - 1)
  if (/[A-Za-z]/.test(probe.toString('latin1'))) {
    const skip = Buffer.allocUnsafe(64)
    const n = readSync(fd, skip, 0, 64, start)
    let i = 0
    while (i < n && /[A-Za-z]/.test(String.fromCharCode(skip[i]))) i++
    position += i
  }
}
for (;;) {
  const n = readSync(fd, chunk, 0, Math.min(chunk.length, Math.max(0, end - position)), position)
  let text = carry + chunk.toString('latin1', 0, n)
  position += n
  const finalChunk = position >= end
  let tail = ''
  if (!finalChunk) {
    const m = /[A-Za-z]+$/.exec(text)
    if (m) { tail = m[0]; text = text.slice(0, m.index) }
  } else {
    // Finish a word that runs past the end.
    const more = Buffer.allocUnsafe(64)
    const k = readSync(fd, more, 0, 64, end)
    const m = /^[A-Za-z]+/.exec(more.toString('latin1', 0, k))
    if (m && /[A-Za-z]$/.test(text)) text += m[0]
  }
  for (const word of text.match(/[A-Za-z]+/g) ?? []) counts.set(word, (counts.get(word) ?? 0) + 1)
  carry = tail
  if (finalChunk) break
}
closeSync(fd)
parentPort.postMessage([...counts])
`

async function runTwoThreads(
  input: string,
): Promise<{ seconds: number; counts: Map<string, number> }> {
  const started = performance.now()
  const size = statSync(input).size
  const half = Math.floor(size / 2)
  const parts = await Promise.all(
    [
      [0, half],
      [half, size],
    ].map(
      ([start, end]) =>
        new Promise<[string, number][]>((resolve, reject) => {
          const thread = new Worker(COUNT_THREAD, {
            eval: true,
            workerData: { path: input, start, end },
          })
          thread.once('message', resolve)
          thread.once('error', reject)
        }),
    ),
  )
  const counts = new Map<string, number>()
  for (const part of parts)
    for (const [word, count] of part) counts.set(word, (counts.get(word) ?? 0) + count)
  return { seconds: (performance.now() - started) / 1000, counts }
}

function readCounts(output: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const name of readdirSync(output).filter((entry) => entry.startsWith('part-'))) {
    for (const line of readFileSync(join(output, name), 'utf8').split('\n')) {
      const [word, count] = line.split('\t')
      if (word !== undefined && word !== '' && count !== undefined) counts.set(word, Number(count))
    }
  }
  return counts
}

const sameCounts = (a: Map<string, number>, b: Map<string, number>): boolean =>
  a.size === b.size && [...a].every(([word, count]) => b.get(word) === count)

export async function benchMapReduce(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-bench-mr-'))
  try {
    const mib = sizeMiB()
    const input = join(dir, 'zipf.txt')
    writeZipfText(input, mib * 2 ** 20)
    const bytes = statSync(input).size
    const tr = runTrSort(input)
    const threads = await runTwoThreads(input)
    const withCombiner = await runPlexus(input, join(dir, 'out-combine'), true)
    const plexusCounts = readCounts(join(dir, 'out-combine'))
    const withoutCombiner = await runPlexus(input, join(dir, 'out-plain'), false)
    const agree =
      sameCounts(plexusCounts, tr.counts) &&
      sameCounts(threads.counts, tr.counts) &&
      sameCounts(readCounts(join(dir, 'out-plain')), tr.counts)
    const mibPerSecond = (seconds: number): number =>
      Math.round((bytes / 2 ** 20 / seconds) * 100) / 100
    return {
      inputMiB: Math.round((bytes / 2 ** 20) * 10) / 10,
      distinctWords: tr.counts.size,
      countsAgree: agree ? 1 : 0,
      plexusSeconds: Math.round(withCombiner.seconds * 100) / 100,
      plexusNoCombinerSeconds: Math.round(withoutCombiner.seconds * 100) / 100,
      trSortUniqSeconds: Math.round(tr.seconds * 100) / 100,
      twoThreadNodeSeconds: Math.round(threads.seconds * 100) / 100,
      plexusMiBPerSecond: mibPerSecond(withCombiner.seconds),
      trSortUniqMiBPerSecond: mibPerSecond(tr.seconds),
      twoThreadNodeMiBPerSecond: mibPerSecond(threads.seconds),
      /** > 1: plexus is faster than tr | sort | uniq -c (the issue asks for >= 3). */
      plexusVsTrSortRatio: Math.round((tr.seconds / withCombiner.seconds) * 100) / 100,
      /** plexus time over the two-thread count's (the issue asks for <= 1.5). */
      plexusVsTwoThreadRatio: Math.round((withCombiner.seconds / threads.seconds) * 100) / 100,
      shuffleBytesWithCombiner: withCombiner.shuffleBytes,
      shuffleBytesWithoutCombiner: withoutCombiner.shuffleBytes,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

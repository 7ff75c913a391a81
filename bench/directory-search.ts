import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SeededRandom } from '../src/core/random.js'
import { IndexDb, SORT_COLUMNS, type SortColumn } from '../src/drivers/directory/index-db.js'
import { syntheticTorrents } from '../src/drivers/directory/synthetic.js'

/**
 * The directory's search at scale: fills an on-disk index (WAL, as the server runs it) with
 * PLEXUS_BENCH_DIRECTORY_TORRENTS synthetic torrents (default 1,000,000) in one transaction,
 * then times searches the web page would run: single keywords (common and rare), 2-3 letter
 * prefixes, two-keyword searches, and the unfiltered list, under every sort column, first page
 * of 50. Reports generation time and rate, the file size, and p50/p99/max latency (ms): over
 * all keyword searches, split by the default newest-first order (served from the full-text
 * index in rowid order) and the other sorts (which read every match), and for the unfiltered
 * list.
 */
const TORRENTS_DEFAULT = 1_000_000
const QUERIES = 400

const SEARCHES = [
  'ubuntu',
  'linux',
  'nosferatu',
  'straße',
  'cafe',
  '東京',
  'ub',
  'doc',
  'sym',
  'ubuntu desktop',
  'live concert',
  'jazz 2019',
  'orchestra planet',
  '',
]

function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))
  return Math.round((sorted[index] ?? 0) * 1000) / 1000
}

export async function benchDirectorySearch(): Promise<Record<string, number>> {
  const count = Number(process.env['PLEXUS_BENCH_DIRECTORY_TORRENTS'] ?? TORRENTS_DEFAULT)
  const dir = mkdtempSync(join(tmpdir(), 'plexus-bench-directory-'))
  const path = join(dir, 'index.sqlite')
  const db = new IndexDb(path)
  try {
    const started = performance.now()
    db.insertMany(syntheticTorrents(new SeededRandom(42), count, Date.now()))
    const generateMs = performance.now() - started
    const random = new SeededRandom(7)
    const latencies: number[] = []
    const byAdded: number[] = []
    const byOther: number[] = []
    const empty: number[] = []
    let matched = 0
    for (let i = 0; i < QUERIES; i++) {
      const query = SEARCHES[i % SEARCHES.length] as string
      const sort = SORT_COLUMNS[random.int(SORT_COLUMNS.length)] as SortColumn
      const t0 = performance.now()
      const page = db.search(query, { sort, limit: 50 })
      const took = performance.now() - t0
      matched += page.results.length
      if (query === '') empty.push(took)
      else {
        latencies.push(took)
        ;(sort === 'added' ? byAdded : byOther).push(took)
      }
      // Yield now and then so a long run does not starve the event loop entirely.
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    for (const list of [latencies, byAdded, byOther, empty]) list.sort((a, b) => a - b)
    return {
      torrents: count,
      generateSeconds: Math.round(generateMs) / 1000,
      generatePerSecond: Math.round(count / (generateMs / 1000)),
      fileMiB: Math.round(statSync(path).size / 2 ** 20 + sizeOf(`${path}-wal`) / 2 ** 20),
      searches: latencies.length,
      searchP50Ms: percentile(latencies, 0.5),
      searchP99Ms: percentile(latencies, 0.99),
      searchMaxMs: percentile(latencies, 1),
      newestFirstP50Ms: percentile(byAdded, 0.5),
      newestFirstP99Ms: percentile(byAdded, 0.99),
      otherSortP50Ms: percentile(byOther, 0.5),
      otherSortP99Ms: percentile(byOther, 0.99),
      listP50Ms: percentile(empty, 0.5),
      listP99Ms: percentile(empty, 0.99),
      resultsReturned: matched,
    }
  } finally {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

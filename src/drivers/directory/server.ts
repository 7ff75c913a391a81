import type { FastifyInstance } from 'fastify'
import { fromHex, toHex } from '../../core/bytes.js'
import type { DatagramSocket, Hashing, Log } from '../../core/env.js'
import {
  RateLimiter,
  type RateLimitConfig,
  type TrackerConfig,
} from '../../protocols/directory/tracker/index.js'
import { NodeClock } from '../node/clock.js'
import { NodeHashing } from '../node/hashing.js'
import { listenHttp } from '../node/http-server.js'
import { silentLog } from '../node/log.js'
import { CryptoRandom } from '../node/random.js'
import type { DirectoryContext } from './context.js'
import { IndexDb, type CountsUpdate } from './index-db.js'
import { PUBLISH_FILES_MAX, PUBLISH_RATE, UPLOAD_BYTES_MAX } from './publish-limits.js'
import { directoryApp } from './http-app.js'
import { NodeTrackerCore } from './tracker-core.js'
import type { TrackerPort } from './tracker-port.js'
import { bindUdpPair, hostForUrl, trackerUrls } from './urls.js'

export interface DirectoryOptions {
  /** HTTP and UDP port (the same number); 0 picks a free one. */
  readonly port: number
  /** An IP literal. '::' also binds UDP on 0.0.0.0 (HTTP on '::' is dual-stack already). */
  readonly bind: string
  /** The SQLite index (created if missing); ':memory:' for a throwaway one. */
  readonly dbPath: string
  /** Allow-list mode: track only these info-hashes (hex) and published torrents. */
  readonly allowList?: readonly string[]
  /** The URL clients reach us at (e.g. behind a proxy); default: the request's Host header. */
  readonly publicUrl?: string
  /** How often the tracker's changed counts are written to the index. Default 10 s. */
  readonly persistEveryMs?: number
  /** Largest accepted .torrent upload. Default `UPLOAD_BYTES_MAX` (10 MiB). */
  readonly uploadBytesMax?: number
  /** Files a published torrent may list. Default `PUBLISH_FILES_MAX` (10,000). */
  readonly publishFilesMax?: number
  /** Publishes per source. Default `PUBLISH_RATE` (20 at once, then one a minute). */
  readonly publishRate?: Partial<RateLimitConfig>
  readonly trackerConfig?: Partial<TrackerConfig>
  readonly log?: Log
  /** SHA-1/SHA-256 for parsing torrents; default node:crypto (tests count calls through it). */
  readonly hashing?: Hashing
}

export interface Directory {
  readonly httpPort: number
  readonly udpPorts: readonly number[]
  /** The web pages' base URL, e.g. http://127.0.0.1:6969 */
  readonly url: string
  /** HTTP and UDP announce URLs. */
  readonly announceUrls: readonly string[]
  readonly db: IndexDb
  /** Writes the tracker's changed counts to the index now (also runs periodically). */
  persistNow(): number
  close(): Promise<void>
}

const PERSIST_EVERY_MS = 10_000
/** A random HTTP port may be taken for UDP by someone else: try a few. */
const BIND_ATTEMPTS = 8

/**
 * The directory server: the tracker core over HTTP (`/announce`, `/scrape`) and UDP (BEP 15)
 * on the same port number, the index's JSON API and .torrent downloads, and the web pages.
 * The tracker's counts reach the index every `persistEveryMs` and at close.
 */
export async function startDirectory(options: DirectoryOptions): Promise<Directory> {
  const log = options.log ?? silentLog
  const clock = new NodeClock({ unrefTimers: true })
  const hashing = options.hashing ?? new NodeHashing()
  const db = new IndexDb(options.dbPath)
  const allowListOnly = options.allowList !== undefined
  let tracker: TrackerPort | undefined
  let server: FastifyInstance | undefined
  let sockets: DatagramSocket[] = []
  try {
    tracker = new NodeTrackerCore({
      clock,
      random: new CryptoRandom(),
      hashing,
      config: { ...options.trackerConfig, allowListOnly },
    })
    restoreTracker(db, tracker, options.allowList)
    const live = tracker
    let trackers: (host: string | undefined) => string[] = () => []
    const publishRate = { ...PUBLISH_RATE, ...options.publishRate }
    const ctx: DirectoryContext = {
      db,
      tracker: live,
      clock,
      hashing,
      allowListOnly,
      uploadBytesMax: options.uploadBytesMax ?? UPLOAD_BYTES_MAX,
      filesMax: options.publishFilesMax ?? PUBLISH_FILES_MAX,
      publishLimiter: new RateLimiter(publishRate),
      publishRatePerSecond: publishRate.perSecond,
      wallNow: () => Date.now(),
      trackersFor: (host) => trackers(host),
    }
    const bound = await bindBoth(
      () =>
        directoryApp(ctx, (error) =>
          log.log('error', 'directory request failed', { error: String(error) }),
        ),
      options,
    )
    const http = bound.app
    server = http
    sockets = bound.sockets
    const stopServing = sockets.map((socket) => live.serveUdp(socket))
    const httpPort = bound.port
    const urlHost = hostForUrl(options.bind)
    const url = options.publicUrl?.replace(/\/+$/, '') ?? `http://${urlHost}:${httpPort}`
    trackers = (host) => trackerUrls(host, url, httpPort, options.publicUrl !== undefined)
    const persistNow = (): number => persist(db, live)
    const persistTimer = setInterval(() => {
      try {
        persistNow()
      } catch (error) {
        log.log('error', 'persisting tracker counts failed', { error: String(error) })
      }
    }, options.persistEveryMs ?? PERSIST_EVERY_MS)
    persistTimer.unref()
    let closing: Promise<void> | undefined
    const close = (): Promise<void> => {
      closing ??= (async () => {
        clearInterval(persistTimer)
        await http.close()
        for (const stop of stopServing) stop()
        for (const socket of sockets) socket.close()
        live.close()
        try {
          persistNow()
        } finally {
          db.close()
        }
      })()
      return closing
    }
    return {
      httpPort,
      udpPorts: sockets.map((socket) => socket.local.port),
      url,
      announceUrls: trackers(undefined),
      db,
      persistNow,
      close,
    }
  } catch (error) {
    await server?.close()
    for (const socket of sockets) socket.close()
    tracker?.close()
    db.close()
    throw error
  }
}

/** Completed counts survive restarts through the index; allow-list mode allows the listed. */
function restoreTracker(db: IndexDb, tracker: TrackerPort, allowList?: readonly string[]) {
  for (const hex of allowList ?? []) {
    const bytes = fromHex(hex)
    if (bytes !== undefined && bytes.length === 20) tracker.allow(bytes)
  }
  for (const { infoHash, completed } of db.completedCounts()) {
    const bytes = fromHex(infoHash)
    if (bytes === undefined) continue
    if (allowList !== undefined) tracker.allow(bytes)
    if (completed > 0) tracker.setCompleted(bytes, completed)
  }
}

function persist(db: IndexDb, tracker: TrackerPort): number {
  const changed = tracker.takeChangedSwarms()
  if (changed.length === 0) return 0
  const updates = changed.map((infoHash) => {
    const counts: CountsUpdate = tracker.countsOf(infoHash) ?? { seeders: 0, leechers: 0 }
    return { infoHash: toHex(infoHash), counts }
  })
  return db.persistCounts(updates, Date.now())
}

/**
 * HTTP first (port 0: the kernel picks), then UDP on the port HTTP got; if that UDP port is
 * taken, a fresh app tries another port (a closed Fastify instance cannot listen again).
 */
async function bindBoth(
  makeApp: () => FastifyInstance,
  options: DirectoryOptions,
): Promise<{ app: FastifyInstance; port: number; sockets: DatagramSocket[] }> {
  let lastError: unknown
  const attempts = options.port === 0 ? BIND_ATTEMPTS : 1
  for (let attempt = 0; attempt < attempts; attempt++) {
    const app = makeApp()
    const port = await listenHttp(app, options.bind, options.port).catch(async (error) => {
      await app.close()
      throw error
    })
    try {
      return { app, port, sockets: await bindUdpPair(options.bind, port) }
    } catch (error) {
      lastError = error
      await app.close()
    }
  }
  throw lastError
}

import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { access, constants, mkdir, readFile, rm } from 'node:fs/promises'
import { address, addressKey, parseAddress, type Address } from '../core/address.js'
import { NodeLog } from '../drivers/node/log.js'
import type { PeerApi } from '../peer/types.js'
import { buildApi } from './api/server.js'
import { call } from './call.js'
import type { DaemonConfig } from './config.js'
import { fetchFromDirectory as defaultFetch, type DirectoryFetch } from './directory-fetch.js'
import {
  dataDirFiles,
  readOrCreateSeed,
  readOrCreateToken,
  writeFileAtomic,
  type ApiLocation,
} from './files.js'
import { DaemonMetrics } from './metrics.js'
import { REACH_SEED_FILE, reachabilityConfig } from './reach-config.js'
import { useGnutella, useMapReduce, type PeerFactory } from './start-peer.js'
import { useOverlay } from './start-overlay.js'
import { TorrentStore } from './torrent-store.js'
import { Torrents } from './torrents.js'

export interface DaemonOptions {
  readonly config: DaemonConfig
  /** How the node is obtained: `startNodePeerFactory` in production, a double in tests. */
  readonly startPeer: PeerFactory
  readonly statsIntervalMs?: number
  readonly fetchFromDirectory?: DirectoryFetch
}

export interface RunningDaemon {
  readonly apiUrl: string
  readonly token: string
  readonly peer: PeerApi
  /** How many saved torrents came back at start. */
  readonly restored: number
  /** Resolves when the peer reports a condition that ends the node (its listener lost). */
  readonly fatal: Promise<{ readonly code: string; readonly message: string }>
  /** Closes the API, stops the peer (flushing resume data), removes api.json. */
  stop(): Promise<void>
}

const STATS_INTERVAL_MS = 2000
const KIB = 1024

/** Another daemon alive on this data dir (its api.json names a live process). */
async function refuseSecondDaemon(apiFile: string): Promise<void> {
  let location: Partial<ApiLocation>
  try {
    location = JSON.parse(await readFile(apiFile, 'utf8')) as Partial<ApiLocation>
  } catch {
    return
  }
  if (typeof location.pid !== 'number' || location.pid === process.pid) return
  try {
    process.kill(location.pid, 0)
  } catch {
    return // A stale file from a daemon that did not stop cleanly.
  }
  throw new Error(
    `a daemon (pid ${location.pid}) already uses this data dir (${apiFile}); stop it or pick another --data-dir`,
  )
}

/** Checks the data dir up front, so that a bad one fails in one line before anything starts. */
async function prepareDataDir(config: DaemonConfig): Promise<void> {
  const files = dataDirFiles(config.dataDir)
  await mkdir(config.dataDir, { recursive: true })
  await access(config.dataDir, constants.W_OK)
  await mkdir(files.state, { recursive: true })
  await mkdir(config.peer.downloadDir, { recursive: true })
}

/** Where a local client connects to reach an API bound to `bind` (any-address: loopback). */
function clientHost(bind: string): string {
  if (bind === '0.0.0.0') return '127.0.0.1'
  if (bind === '::') return '[::1]'
  return bind.includes(':') ? `[${bind}]` : bind
}

const bootstrapOf = (list: readonly string[]): Address[] =>
  list.map((text) => parseAddress(text)).filter((a): a is Address => a !== undefined)

/** BEP 32: `[dht] bind6`, on the DHT's port (0: the IPv4 socket's). */
const dhtBind6 = (config: DaemonConfig): { bind6?: Address } =>
  config.dht.bind6 === undefined ? {} : { bind6: address(config.dht.bind6, 0) }

/**
 * Starts `plexus daemon`: the data dir, the log, the peer, every saved torrent, the HTTP API,
 * and `api.json` last, so that a client that finds it finds a daemon ready to answer.
 */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const { config } = options
  const files = dataDirFiles(config.dataDir)
  await prepareDataDir(config)
  await refuseSecondDaemon(files.api)
  const token = await readOrCreateToken(files.token)
  const logStream = createWriteStream(config.log.file, { flags: 'a' })
  // A log that cannot be written must not take the daemon down: lines are then lost.
  logStream.on('error', () => undefined)
  const log = new NodeLog({ level: config.log.level, format: 'json', sink: logStream })
  const store = await TorrentStore.open(files.torrentList, files.torrents)
  const reachSeed = config.reach.enabled
    ? await readOrCreateSeed(join(files.state, REACH_SEED_FILE))
    : undefined
  const reachability =
    reachSeed === undefined
      ? undefined
      : reachabilityConfig(config.reach, config.peer.bind, reachSeed)
  const peer = await options.startPeer({
    downloadDir: config.peer.downloadDir,
    stateDir: files.state,
    listen: address(config.peer.bind, config.peer.port),
    uploadRateLimit: config.peer.uploadLimit * KIB,
    downloadRateLimit: config.peer.downloadLimit * KIB,
    connectionsMax: config.peer.connectionsMax,
    dht: config.dht.enabled
      ? {
          port: config.dht.port,
          ...dhtBind6(config),
          bootstrap: bootstrapOf(config.dht.bootstrap),
          statePath: 'dht.state',
        }
      : false,
    trackers: config.peer.trackers,
    encryption: config.peer.encryption,
    transports: config.peer.transport,
    ...(reachability === undefined ? {} : { reachability }),
    log: log.child({ part: 'peer' }),
  })
  const stopPeer = () => call<void>((done) => peer.stop(done))
  const gnutella = await useGnutella(
    peer,
    config,
    files.state,
    log.child({ part: 'gnutella' }),
  ).catch(async (error: Error) => {
    await stopPeer().catch(() => undefined)
    logStream.end()
    throw new Error(`gnutella: ${error.message}`, { cause: error })
  })
  const mapreduce = await useMapReduce(
    peer,
    config,
    files.state,
    log.child({ part: 'mapreduce' }),
  ).catch(async (error: Error) => {
    await stopPeer().catch(() => undefined)
    logStream.end()
    throw new Error(`mapreduce: ${error.message}`, { cause: error })
  })
  const overlay = await useOverlay(peer, config, files.state, log.child({ part: 'overlay' }))
    // The peer stops its plug-ins (gnutella too) when it stops.
    .catch(async (error: Error) => {
      await stopPeer().catch(() => undefined)
      logStream.end()
      throw new Error(`overlay: ${error.message}`, { cause: error })
    })
  const fatal = new Promise<{ code: string; message: string }>((resolve) => {
    peer.onEvent((event) => {
      if (event.type !== 'fatal') return
      log.log('error', 'fatal', { code: event.code, error: event.message })
      resolve({ code: event.code, message: event.message })
    })
  })
  const metrics = new DaemonMetrics(peer)
  const torrents = new Torrents(peer, store, log.child({ part: 'torrents' }))
  const api = await buildApi({
    peer,
    torrents,
    token,
    metrics,
    log: log.child({ part: 'api' }),
    fetchFromDirectory: options.fetchFromDirectory ?? defaultFetch,
    statsIntervalMs: options.statsIntervalMs ?? STATS_INTERVAL_MS,
    dht: {
      port: config.dht.port,
      ...dhtBind6(config),
      bootstrap: bootstrapOf(config.dht.bootstrap),
      statePath: 'dht.state',
    },
    gnutella,
    mapreduce: mapreduce.jobs,
    mapreduceWorker: mapreduce.worker,
    overlay,
  })
  let apiUrl: string
  try {
    await api.listen({ host: config.api.bind, port: config.api.port })
    const bound = api.server.address()
    const port = typeof bound === 'object' && bound !== null ? bound.port : config.api.port
    const host = clientHost(config.api.bind)
    apiUrl = `http://${host}:${port}`
  } catch (error) {
    await stopPeer().catch(() => undefined)
    logStream.end()
    throw new Error(
      `API listen ${config.api.bind}:${config.api.port}: ${(error as Error).message}`,
      {
        cause: error,
      },
    )
  }
  const restored = await torrents.restore()
  const location: ApiLocation = { url: apiUrl, pid: process.pid }
  await writeFileAtomic(files.api, `${JSON.stringify(location)}\n`)
  log.log('info', 'daemon started', {
    api: apiUrl,
    listen: addressKey(peer.listenAddress),
    restored,
    dataDir: config.dataDir,
  })

  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log.log('info', 'daemon stopping')
      await rm(files.api, { force: true }).catch(() => undefined)
      await api.close()
      await stopPeer()
      log.log('info', 'daemon stopped')
      await new Promise<void>((resolve) => logStream.end(resolve))
    })()
    return stopping
  }
  return { apiUrl, token, peer, restored, fatal, stop }
}

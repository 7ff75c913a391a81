import type { Address } from '../core/address.js'
import type { FetchMetadataOptions } from '../drivers/bittorrent/fetch-metadata.js'
import type { SessionEvent, TorrentSessionOptions } from '../drivers/bittorrent/session.js'
import type { Magnet, Metainfo } from '../protocols/bittorrent/metainfo/index.js'
import type { TorrentHost } from './torrent-host.js'
import type { AddTorrentOptions } from './types.js'

/**
 * The options a managed torrent opens its session and fetches its metadata with: what the
 * peer shares (`TorrentHost`, read when called, since the listener and DHT can change) joined
 * with the torrent's own settings.
 */

/** The torrent's settings a session opens with, as they stand at this opening. */
export interface TorrentRun {
  readonly options: AddTorrentOptions
  readonly peers: readonly Address[]
  readonly peersMax: number
  readonly priorities: readonly number[] | undefined
  readonly recheck: boolean
  readonly onEvent: (event: SessionEvent) => void
}

export function sessionOptions(
  host: TorrentHost,
  m: Metainfo,
  run: TorrentRun,
): TorrentSessionOptions {
  const { options } = run
  const { uploadRateLimit, downloadRateLimit } = options
  return {
    env: host.env,
    metainfo: m,
    saveDir: options.saveDir,
    listen: host.listen,
    sharedListener: true,
    peerId: host.peerId,
    pieceHashing: host.pieceHashing,
    defer: host.defer,
    ...(host.trackers === undefined ? {} : { trackers: host.trackers }),
    peers: run.peers,
    swarmConfig: {
      ...host.swarm,
      peersMax: run.peersMax,
      ...(uploadRateLimit === undefined ? {} : { uploadRateLimit }),
      ...(downloadRateLimit === undefined ? {} : { downloadRateLimit }),
    },
    ...(run.priorities === undefined ? {} : { filePriorities: run.priorities }),
    ...(options.sequential === undefined ? {} : { sequential: options.sequential }),
    ...(host.dht === undefined ? {} : { dht: host.dht }),
    resumeStore: { disk: host.stateDisk, dir: '' },
    ...(host.storageLimits === undefined ? {} : { storageLimits: host.storageLimits }),
    ...(run.recheck ? { recheck: true } : {}),
    globalUploadLimiter: host.limits.upload,
    globalDownloadLimiter: host.limits.download,
    ...(host.transports === undefined ? {} : { transports: host.transports }),
    onEvent: run.onEvent,
  }
}

export function metadataOptions(
  host: TorrentHost,
  magnet: Magnet,
  peers: readonly Address[],
): FetchMetadataOptions {
  return {
    env: host.env,
    magnet,
    peerId: host.peerId,
    peers,
    ...(host.trackers === undefined ? {} : { trackers: host.trackers }),
    ...(host.dht === undefined ? {} : { dht: host.dht }),
    port: host.listen.port,
    timeout: host.metadataTimeout,
    ...(host.swarm.encryption === undefined ? {} : { encryption: host.swarm.encryption }),
    ...(host.transports === undefined ? {} : { transports: host.transports }),
  }
}

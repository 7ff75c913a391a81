import { isAbsolute, join, resolve } from 'node:path'
import { parse, stringify, TomlError } from 'smol-toml'
import type { LogLevel } from '../core/env.js'
import { ENCRYPTION_POLICIES, type EncryptionPolicy } from '../protocols/mse/index.js'
import { PEER_TRANSPORTS, type PeerTransports } from '../drivers/bittorrent/peer-transports.js'
import { ConfigError, check, type KeyKind, type Value } from './config-keys.js'
import * as overlay from './overlay-config.js'
import * as reach from './reach-config.js'

export { ConfigError, type KeyKind } from './config-keys.js'

/**
 * The daemon's configuration: a TOML file (docs/daemon.md lists every key), defaults for every
 * key, and a checker that names the offending key of a file it refuses. The file is optional:
 * the defaults alone make a working daemon.
 */
export interface DaemonConfig {
  /** Absolute. Holds the torrent list, resume data, the API token and port, the log. */
  readonly dataDir: string
  readonly peer: {
    /** Where BitTorrent peers connect (TCP). */
    readonly bind: string
    readonly port: number
    /** Absolute. A torrent's `saveDir` is a folder inside it. */
    readonly downloadDir: string
    readonly connectionsMax: number
    /** KiB/s, 0 = unlimited (the unit of `plexus seed --upload-limit`). */
    readonly uploadLimit: number
    readonly downloadLimit: number
    readonly trackers: boolean
    /** MSE/PE for BitTorrent connections (`plexus get --encryption`). */
    readonly encryption: EncryptionPolicy
    /** uTP and TCP (`both`), or one of them (`plexus get --transport`). */
    readonly transport: PeerTransports
  }
  readonly api: {
    readonly bind: string
    readonly port: number
  }
  readonly dht: {
    readonly enabled: boolean
    readonly port: number
    /** BEP 32: an IPv6 address to bind as well, on `port` (a dual-stack node); unset: IPv4 only. */
    readonly bind6?: string
    /** `host:port` each; empty: the saved table, else the public routers. */
    readonly bootstrap: readonly string[]
  }
  /** A Gnutella 0.6 servent inside the daemon's peer (docs/daemon.md, "Gnutella"). */
  readonly gnutella: {
    readonly enabled: boolean
    /** TCP, for Gnutella and its HTTP downloads alike; bound on `peer.bind`. */
    readonly port: number
    readonly ultrapeer: 'auto' | 'yes' | 'no'
    /** Absolute, or undefined: nothing shared. */
    readonly shareDir?: string
    /** `host:port` each: servents to connect to at start. */
    readonly hosts: readonly string[]
  }
  /** MapReduce in the daemon (docs/daemon.md, "MapReduce"). */
  readonly mapreduce: {
    /** Jobs submitted through the API run here, in local mode. */
    readonly enabled: boolean
    /** Worker threads per job submitted through the API. */
    readonly workers: number
    /** `host:port` of a `plexus mr master` this node serves as a worker, or undefined. */
    readonly master?: string
  }
  /** A Chord, Pastry or CAN node inside the daemon's peer (overlay-config.ts). */
  readonly overlay: overlay.OverlayDaemonConfig
  /** Reachability: relay serving, reservations, STUN (reach-config.ts). */
  readonly reach: reach.ReachDaemonConfig
  readonly log: {
    /** Absolute. JSON lines. */
    readonly file: string
    readonly level: LogLevel
  }
}

export const DEFAULT_PEER_PORT = 6881
export const DEFAULT_API_PORT = 6890
export const DEFAULT_GNUTELLA_PORT = 6346
const ULTRAPEER_MODES = ['auto', 'yes', 'no'] as const
/** KiB/s: a limit above 4 TiB/s is a typo. */
const RATE_LIMIT_MAX = 4 * 1024 * 1024 * 1024

const PORT: KeyKind = { kind: 'integer', min: 0, max: 65535 }
const RATE: KeyKind = { kind: 'integer', min: 0, max: RATE_LIMIT_MAX }

/** Every key the file may hold, by section ('' is the top level). */
const KEYS: Readonly<Record<string, Readonly<Record<string, KeyKind>>>> = {
  '': { data_dir: { kind: 'path' } },
  peer: {
    bind: { kind: 'host' },
    port: PORT,
    download_dir: { kind: 'path' },
    connections_max: { kind: 'integer', min: 1, max: 100_000 },
    upload_limit: RATE,
    download_limit: RATE,
    trackers: { kind: 'boolean' },
    encryption: { kind: 'choice', values: ENCRYPTION_POLICIES },
    transport: { kind: 'choice', values: PEER_TRANSPORTS },
  },
  api: { bind: { kind: 'host' }, port: PORT },
  dht: {
    enabled: { kind: 'boolean' },
    port: PORT,
    bind6: { kind: 'host' },
    bootstrap: { kind: 'addresses' },
  },
  gnutella: {
    enabled: { kind: 'boolean' },
    port: PORT,
    ultrapeer: { kind: 'choice', values: ULTRAPEER_MODES },
    share_dir: { kind: 'path' },
    hosts: { kind: 'addresses' },
  },
  mapreduce: {
    enabled: { kind: 'boolean' },
    workers: { kind: 'integer', min: 1, max: 64 },
    master: { kind: 'address' },
  },
  overlay: overlay.OVERLAY_KEYS,
  reach: reach.REACH_KEYS,
  log: { file: { kind: 'path' }, level: { kind: 'level' } },
}

/** Checked values by dotted key (`peer.port`). */
type Settings = ReadonlyMap<string, Value>

const isTable = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)

/** Parses and checks a config file's text; throws ConfigError naming the first bad key. */
export function parseConfigText(text: string): Settings {
  let document: Record<string, unknown>
  try {
    document = parse(text) as Record<string, unknown>
  } catch (error) {
    if (error instanceof TomlError) {
      throw new ConfigError(`not valid TOML at line ${error.line}, column ${error.column}`)
    }
    throw error
  }
  const settings = new Map<string, Value>()
  for (const [name, value] of Object.entries(document)) {
    const section = KEYS[name]
    if (section !== undefined && name !== '') {
      if (!isTable(value)) throw new ConfigError(`[${name}] must be a table`)
      for (const [key, inner] of Object.entries(value)) {
        const kind = section[key]
        if (kind === undefined) throw new ConfigError(`unknown key ${name}.${key}`)
        settings.set(`${name}.${key}`, check(`${name}.${key}`, kind, inner))
      }
      continue
    }
    const kind = KEYS['']?.[name]
    if (kind === undefined) throw new ConfigError(`unknown key ${name}`)
    settings.set(name, check(name, kind, value))
  }
  return settings
}

export interface ResolveOptions {
  /** `--data-dir`: wins over the file's `data_dir`. */
  readonly dataDir?: string
  /** The data dir when neither the flag nor the file names one. */
  readonly defaultDataDir: string
  /** The config file's folder: a relative `data_dir` in the file is relative to it. */
  readonly configDir?: string
  /** The DHT's default: off under the test runner (loopback only), on otherwise. */
  readonly dhtByDefault: boolean
}

/** The effective config: the checked file's settings over the defaults. */
export function resolveConfig(settings: Settings, options: ResolveOptions): DaemonConfig {
  const get = <T extends Value>(key: string, fallback: T): T => (settings.get(key) as T) ?? fallback
  const fileDataDir = settings.get('data_dir') as string | undefined
  const dataDir =
    options.dataDir !== undefined
      ? resolve(options.dataDir)
      : fileDataDir !== undefined
        ? resolve(options.configDir ?? '.', fileDataDir)
        : resolve(options.defaultDataDir)
  // Paths inside the data dir unless absolute: the data dir is the daemon's one home.
  const inData = (path: string): string => (isAbsolute(path) ? path : join(dataDir, path))
  const peerPort = get('peer.port', DEFAULT_PEER_PORT)
  const shareDir = settings.get('gnutella.share_dir') as string | undefined
  const mapreduceMaster = settings.get('mapreduce.master') as string | undefined
  const dhtBind6 = settings.get('dht.bind6') as string | undefined
  return {
    dataDir,
    peer: {
      bind: get('peer.bind', '0.0.0.0'),
      port: peerPort,
      downloadDir: inData(get('peer.download_dir', 'downloads')),
      connectionsMax: get('peer.connections_max', 200),
      uploadLimit: get('peer.upload_limit', 0),
      downloadLimit: get('peer.download_limit', 0),
      trackers: get('peer.trackers', true),
      encryption: get<EncryptionPolicy>('peer.encryption', 'prefer'),
      transport: get<PeerTransports>('peer.transport', 'both'),
    },
    api: { bind: get('api.bind', '127.0.0.1'), port: get('api.port', DEFAULT_API_PORT) },
    dht: {
      enabled: get('dht.enabled', options.dhtByDefault),
      // UDP, so the same number as the TCP listener does not clash.
      port: get('dht.port', peerPort),
      ...(dhtBind6 === undefined ? {} : { bind6: dhtBind6 }),
      bootstrap: get<readonly string[]>('dht.bootstrap', []),
    },
    gnutella: {
      enabled: get('gnutella.enabled', false),
      port: get('gnutella.port', DEFAULT_GNUTELLA_PORT),
      ultrapeer: get<(typeof ULTRAPEER_MODES)[number]>('gnutella.ultrapeer', 'auto'),
      ...(shareDir === undefined ? {} : { shareDir: inData(shareDir) }),
      hosts: get<readonly string[]>('gnutella.hosts', []),
    },
    mapreduce: {
      enabled: get('mapreduce.enabled', false),
      workers: get('mapreduce.workers', 2),
      ...(mapreduceMaster === undefined ? {} : { master: mapreduceMaster }),
    },
    overlay: overlay.resolveOverlayConfig(get),
    reach: reach.resolveReachConfig(get, (key) => settings.get(key) as string | undefined, {
      bind: get('peer.bind', '0.0.0.0'),
      dhtEnabled: get('dht.enabled', options.dhtByDefault),
    }),
    log: { file: inData(get('log.file', 'daemon.log')), level: get('log.level', 'info') },
  }
}

/** The effective config as a TOML file, every key visible (`plexus daemon --print-config`). */
export function formatConfig(config: DaemonConfig): string {
  return stringify({
    data_dir: config.dataDir,
    peer: {
      bind: config.peer.bind,
      port: config.peer.port,
      download_dir: config.peer.downloadDir,
      connections_max: config.peer.connectionsMax,
      upload_limit: config.peer.uploadLimit,
      download_limit: config.peer.downloadLimit,
      trackers: config.peer.trackers,
      encryption: config.peer.encryption,
      transport: config.peer.transport,
    },
    api: { bind: config.api.bind, port: config.api.port },
    dht: {
      enabled: config.dht.enabled,
      port: config.dht.port,
      ...(config.dht.bind6 === undefined ? {} : { bind6: config.dht.bind6 }),
      bootstrap: config.dht.bootstrap,
    },
    gnutella: {
      enabled: config.gnutella.enabled,
      port: config.gnutella.port,
      ultrapeer: config.gnutella.ultrapeer,
      ...(config.gnutella.shareDir === undefined ? {} : { share_dir: config.gnutella.shareDir }),
      hosts: config.gnutella.hosts,
    },
    mapreduce: {
      enabled: config.mapreduce.enabled,
      workers: config.mapreduce.workers,
      ...(config.mapreduce.master === undefined ? {} : { master: config.mapreduce.master }),
    },
    overlay: overlay.formatOverlayConfig(config.overlay),
    reach: reach.formatReachConfig(config.reach),
    log: { file: config.log.file, level: config.log.level },
  })
}

/**
 * The daemon API's JSON as the dashboard reads it (docs/openapi.json is the contract). What the
 * peer reports as it is (torrents, the DHT's buckets and lookups) comes from src/peer/api-json.ts,
 * type-only and import-free, so it is stated once; the shapes only the API makes (settings, the
 * event stream, the swarm view, plug-ins) are stated here.
 */
import type {
  DhtBucketStatus,
  DhtLookupRecord,
  DhtStored,
  TorrentFileStatus,
  TorrentPeerStatus,
  TorrentStatus,
  TorrentTrackerStatus,
} from '../../peer/api-json.js'

export type { TorrentDetail, TorrentState, TorrentStatus } from '../../peer/api-json.js'
export type TorrentFile = TorrentFileStatus
export type TorrentPeer = TorrentPeerStatus
export type TorrentTracker = TorrentTrackerStatus
/** GET /dht/buckets: one routing-table bucket. */
export type DhtBucket = DhtBucketStatus
/** GET /dht/lookups: one finished DHT operation with its hop-by-hop trace. */
export type DhtLookup = DhtLookupRecord
/** GET /dht/stored: what other nodes stored on us (without `enabled`, which the DHT status says). */
export type DhtStoredListing = DhtStored
export type { DhtStoredItem, DhtStoredSwarm } from '../../peer/api-json.js'

export interface Settings {
  readonly uploadRateLimit: number
  readonly downloadRateLimit: number
  readonly connectionsMax: number
  /** Changeable at run time: torrents reopen and announce the new port. */
  readonly listenPort: number
  readonly dhtEnabled: boolean
  /** Read only, with the DHT (the config file's). */
  readonly dhtPort?: number
}

/** What PUT /settings changes. */
export type SettingsChange = Partial<
  Pick<
    Settings,
    'uploadRateLimit' | 'downloadRateLimit' | 'connectionsMax' | 'listenPort' | 'dhtEnabled'
  >
>

export interface DhtStatus {
  readonly enabled: boolean
  readonly address?: string
  readonly address6?: string
  readonly id?: string
  readonly nodes?: number
  readonly nodes6?: number
  readonly lookups?: number
  readonly peersStored?: number
  readonly itemsStored?: number
}

/** The event stream's periodic `stats` event. */
export interface StatsEvent {
  readonly type: 'stats'
  readonly downloadRate: number
  readonly uploadRate: number
  readonly peers: number
  readonly torrents: readonly TorrentStatus[]
}

/** Every refusal of the API: `{ type: 'error', code, message }`. */
export interface ApiErrorBody {
  readonly type: 'error'
  readonly code: string
  readonly message: string
}

/** GET /torrents/{infoHash}/pieces: one character per piece (0 missing .. 3 verified). */
export interface PieceMapAnswer {
  readonly live: boolean
  readonly pieces: number
  readonly states: string
  readonly availability: readonly number[]
}

/** GET /torrents/{infoHash}/swarm: an open connection with its BEP 3 flags. */
export interface SwarmPeer {
  readonly address: string
  readonly client?: string
  readonly outbound: boolean
  readonly fast: boolean
  readonly amChoking: boolean
  readonly amInterested: boolean
  readonly peerChoking: boolean
  readonly peerInterested: boolean
  readonly snubbed: boolean
  readonly seed: boolean
  readonly progress: number
  readonly downloadRate: number
  readonly uploadRate: number
  readonly downloadedBytes: number
  readonly uploadedBytes: number
  readonly requests: number
  readonly queued: number
}

/** GET /plugins: a plug-in's status() is its own JSON. */
export interface PluginInfo {
  readonly name: string
  readonly status: Readonly<Record<string, unknown>>
}

export interface GnutellaSharedFile {
  readonly path: string
  readonly length: number
  readonly urn: string
}

export interface GnutellaSearchSummary {
  readonly id: string
  readonly words: string
  readonly startedAt: number
  readonly hits: number
}

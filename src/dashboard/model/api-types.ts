/**
 * The daemon API's JSON as the dashboard reads it (docs/openapi.json is the contract; these
 * mirror its schemas rather than import the peer's types, which carry node-only modules).
 */

export type TorrentState =
  'fetching_metadata' | 'checking' | 'downloading' | 'seeding' | 'paused' | 'error'

export interface TorrentStatus {
  readonly infoHash: string
  readonly name: string
  readonly state: TorrentState
  readonly saveDir: string
  readonly length: number
  readonly verifiedBytes: number
  readonly pieces: number
  readonly piecesVerified: number
  readonly downloadedBytes: number
  readonly uploadedBytes: number
  readonly downloadRate: number
  readonly uploadRate: number
  readonly peers: number
  readonly complete: boolean
  readonly error?: string
}

export interface TorrentFile {
  readonly index: number
  readonly path: string
  readonly length: number
  readonly priority: number
  readonly verifiedBytes: number
}

export interface TorrentPeer {
  readonly address: string
  readonly client?: string
  readonly downloadRate: number
  readonly uploadRate: number
  readonly downloadedBytes: number
  readonly uploadedBytes: number
}

export interface TorrentTracker {
  readonly url: string
  readonly tier: number
  readonly message?: string
}

export interface TorrentDetail extends TorrentStatus {
  readonly pieceLength: number
  readonly files: readonly TorrentFile[]
  readonly peerList: readonly TorrentPeer[]
  readonly trackers: readonly TorrentTracker[]
}

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
  readonly id?: string
  readonly nodes?: number
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

/** GET /dht/buckets: one routing-table bucket. */
export interface DhtBucket {
  readonly index: number
  readonly capacity: number
  readonly nodes: number
  readonly good: number
  readonly questionable: number
  readonly bad: number
  readonly replacements: number
  readonly lastChangedMsAgo: number
}

/** GET /dht/lookups: one finished DHT operation with its hop-by-hop trace. */
export interface DhtLookup {
  readonly seq: number
  readonly kind: string
  readonly target: string
  readonly finishedMsAgo: number
  readonly durationMs: number
  readonly hops: number
  readonly nodesContacted: number
  readonly messages: number
  readonly perHop: readonly {
    readonly depth: number
    readonly queried: number
    readonly answered: number
  }[]
  readonly peersFound: number
  readonly stored: number
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

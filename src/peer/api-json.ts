/**
 * The JSON a running node reports (torrent statuses and details, the DHT's status, buckets and
 * lookups): plain data, as the daemon's API sends it. Kept free of imports so that the
 * dashboard's browser code takes its types from here (type-only) instead of restating them:
 * one source for the peer, the API and the page.
 */

/** A torrent's id: its v1 info-hash as 40 lowercase hex digits (the JSON key `infoHash`). */
export type TorrentId = string

export type TorrentState =
  | 'fetching_metadata'
  | 'checking'
  | 'downloading'
  | 'seeding'
  | 'paused'
  /** Stopped by an error (storage, metadata timeout); `error` says which. Resume retries. */
  | 'error'

/** What every listing shows of a torrent. Keys follow docs/cli.md's JSON vocabulary. */
export interface TorrentStatus {
  readonly infoHash: TorrentId
  /** Known once the metadata is (a magnet's `dn` before that, else the info-hash). */
  readonly name: string
  readonly state: TorrentState
  readonly saveDir: string
  /** Bytes of the whole torrent; 0 while fetching metadata. */
  readonly length: number
  readonly verifiedBytes: number
  readonly pieces: number
  readonly piecesVerified: number
  readonly downloadedBytes: number
  readonly uploadedBytes: number
  readonly downloadRate: number
  readonly uploadRate: number
  readonly peers: number
  /** Every wanted piece verified. */
  readonly complete: boolean
  readonly error?: string
}

export interface TorrentFileStatus {
  readonly index: number
  readonly path: string
  readonly length: number
  readonly priority: number
  readonly verifiedBytes: number
  /** A BEP 47 padding file: zeros that align the next file, never written; views hide it. */
  readonly pad?: boolean
}

export interface TorrentPeerStatus {
  readonly address: string
  readonly client?: string
  readonly downloadRate: number
  readonly uploadRate: number
  readonly downloadedBytes: number
  readonly uploadedBytes: number
}

export interface TorrentTrackerStatus {
  readonly url: string
  readonly tier: number
  readonly message?: string
}

export interface TorrentDetail extends TorrentStatus {
  readonly pieceLength: number
  readonly files: readonly TorrentFileStatus[]
  readonly peerList: readonly TorrentPeerStatus[]
  readonly trackers: readonly TorrentTrackerStatus[]
  /** BEP 19 web seeds and what each delivered (peer stats' key names). */
  readonly webSeeds: readonly TorrentWebSeedStatus[]
}

export interface TorrentWebSeedStatus {
  readonly url: string
  /** ready, backing_off, failed (the server refused for good) or banned (a bad piece). */
  readonly phase: string
  readonly downloadRate: number
  readonly downloadedBytes: number
  readonly error?: string
}

export interface DhtStatus {
  readonly address: string
  /** The IPv6 socket of a dual-stack node (BEP 32), when it has one. */
  readonly address6?: string
  readonly id: string
  /** Nodes in the routing tables, both families. */
  readonly nodes: number
  /** Of those, the IPv6 table's (BEP 32 keeps one table per family), on a dual-stack node. */
  readonly nodes6?: number
  /** Lookups (get_peers, announces, find_node, BEP 44) started since the node started. */
  readonly lookups: number
  /** Lookups running now. */
  readonly lookupsInFlight: number
  /** Peers other nodes announced to us (BEP 5 announce_peer), held now. */
  readonly peersStored: number
  /** BEP 44 items other nodes put on us, held now. */
  readonly itemsStored: number
}

/** One bucket of the DHT routing table: its nodes by BEP 5 state and its replacement cache. */
export interface DhtBucketStatus {
  /** Shared prefix length with our id (the last bucket holds every longer prefix). */
  readonly index: number
  /** k: the most nodes a bucket holds. */
  readonly capacity: number
  readonly nodes: number
  readonly good: number
  readonly questionable: number
  readonly bad: number
  readonly replacements: number
  readonly lastChangedMsAgo: number
}

/** A DHT operation that finished, with its hop-by-hop trace (newest first in `dhtLookups`). */
export interface DhtLookupRecord {
  /** 1 for the first operation the DHT finished, then counting up: a stable key. */
  readonly seq: number
  /** bootstrap, find_node, get_peers, announce, get, put_immutable, put_mutable, ping, refresh. */
  readonly kind: string
  /** The target id, lowercase hex. */
  readonly target: string
  readonly finishedMsAgo: number
  readonly durationMs: number
  /** depth + 1 of the closest node that answered. */
  readonly hops: number
  readonly nodesContacted: number
  /** Queries sent, the store phase included. */
  readonly messages: number
  /** Per depth: nodes queried at that depth and how many answered. */
  readonly perHop: readonly {
    readonly depth: number
    readonly queried: number
    readonly answered: number
  }[]
  readonly peersFound: number
  /** announce / put: nodes that acknowledged the store. */
  readonly stored: number
}

/** A swarm other nodes announced to us (BEP 5 announce_peer), as `dhtStored` lists it. */
export interface DhtStoredSwarm {
  /** Lowercase hex. */
  readonly infoHash: string
  /** Live peers held, seeds included. */
  readonly peers: number
  /** BEP 33: peers that announced with seed=1. */
  readonly seeds: number
  readonly oldestAnnounceMsAgo: number
  readonly newestAnnounceMsAgo: number
}

/** A BEP 44 item another node put on us, as `dhtStored` lists it (the value itself is not). */
export interface DhtStoredItem {
  /** Lowercase hex. */
  readonly target: string
  readonly mutable: boolean
  /** Mutable items: the ed25519 public key, lowercase hex. */
  readonly publicKey?: string
  /** Mutable items: the sequence number. */
  readonly seq?: number
  /** Mutable items with a salt: its length in bytes. */
  readonly saltBytes?: number
  /** The bencoded value's length in bytes. */
  readonly valueBytes: number
  /** Since the last put of this target. */
  readonly storedMsAgo: number
}

/** What other nodes stored on our DHT node: the most recent of each, newest first, bounded. */
export interface DhtStored {
  readonly swarms: readonly DhtStoredSwarm[]
  /** Swarms held in all (the list shows at most 200). */
  readonly swarmsTotal: number
  readonly items: readonly DhtStoredItem[]
  /** Items held in all (the list shows at most 200). */
  readonly itemsTotal: number
}

import type { Address } from '../../core/address.js'
import type { Env } from '../../core/env.js'
import type { Metainfo } from '../../protocols/bittorrent/metainfo/index.js'
import type {
  PieceHashing,
  ResumeStore,
  StorageLimits,
} from '../../protocols/bittorrent/storage/index.js'
import type { SwarmConfig, TokenBucket } from '../../protocols/bittorrent/swarm/index.js'
import type { WebSeedConfig } from '../../protocols/bittorrent/webseed/index.js'
import type { DhtAccess } from './dht-announcing.js'
import type { PeerTransports } from './peer-transports.js'
import type { SessionEvent } from './session-events.js'
import type { TrackerTransport } from './tracker-transport.js'

/**
 * One torrent, running: storage (resume or recheck first), the swarm core bound to the Env's
 * net through `attachStream`, and the announcer. It works in both worlds: the CLI passes the
 * Node Env with worker-thread hashing, the simulator passes a host's Env with inline hashing.
 */
export interface TorrentSessionOptions {
  readonly env: Env
  readonly metainfo: Metainfo
  /** Where the torrent's files live (their paths start with the torrent's name). */
  readonly saveDir: string
  /**
   * Where the session listens (port 0 picks one). With `sharedListener` it binds nothing: this
   * is then the address of a listener its owner runs for many torrents, which hands each
   * connection for this torrent to `adopt` (its handshake's first bytes replayed).
   */
  readonly listen: Address
  readonly sharedListener?: boolean
  readonly peerId: Uint8Array
  readonly pieceHashing: PieceHashing
  /** Runs `fn` soon, outside the current call (setImmediate, or the simulator's defer). */
  readonly defer: (fn: () => void) => void
  readonly trackers?: TrackerTransport
  readonly peers?: readonly Address[]
  readonly swarmConfig?: Partial<SwarmConfig>
  /**
   * One per `metainfo.files` entry (pad files included): 0 skips the file, 1..7, 4 the
   * default. The download is complete when every piece of a wanted file is verified.
   */
  readonly filePriorities?: readonly number[]
  /** Download pieces in order (streaming); overrides `swarmConfig.sequential` when set. */
  readonly sequential?: boolean
  /** A DHT node: the torrent announces itself and finds peers there (BEP 5). */
  readonly dht?: DhtAccess
  /** Bounds of the storage layer (caches, buffers); default `DEFAULT_STORAGE_LIMITS`. */
  readonly storageLimits?: Partial<StorageLimits>
  /**
   * Where resume data lives: a Disk rooted at a state folder of its own, never the save
   * directory (a torrent's files must not be able to forge it). Resume files are
   * `<dir>/resume/<infohash-hex>.resume`. Without it nothing is resumed: every start rechecks.
   */
  readonly resumeStore?: ResumeStore
  /** Verify every piece against the data on disk, ignoring resume data. */
  readonly recheck?: boolean
  /** Peer-wide rate limits shared by every torrent of the process (`globalRateLimiter`). */
  readonly globalUploadLimiter?: TokenBucket
  readonly globalDownloadLimiter?: TokenBucket
  /** BEP 19: fetch from the torrent's `url-list` web seeds (default true). */
  readonly webSeeds?: boolean
  readonly webSeedConfig?: Partial<WebSeedConfig>
  readonly onEvent?: (event: SessionEvent) => void
  /** TCP, uTP or both (the default: uTP tried first), as libtorrent's enable_*_utp/tcp. */
  readonly transports?: PeerTransports
}

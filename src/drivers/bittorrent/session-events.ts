import type { Address } from '../../core/address.js'
import type { SwarmEvent } from '../../protocols/bittorrent/swarm/index.js'
import type { FileProblem } from './stored-data.js'
import type { WebSeedEvent } from './webseed.js'

/** Why storage cannot go on: the owner should stop the session and end with this message. */
export type FatalCode = 'no_space' | 'permission' | 'invalid_path' | 'io'

/** What a `TorrentSession` reports to its owner (`TorrentSessionOptions.onEvent`). */
export type SessionEvent =
  | SwarmEvent
  /** A web seed (BEP 19) was dropped: the server refused for good, or sent a bad piece. */
  | WebSeedEvent
  | { readonly type: 'checking'; readonly reason: string }
  | { readonly type: 'ready'; readonly verifiedPieces: number; readonly listen: Address }
  | { readonly type: 'tracker'; readonly url: string; readonly message: string }
  /** Resume data now durably claims this many verified pieces (a crash keeps them). */
  | { readonly type: 'checkpointed'; readonly durablePieces: number }
  /**
   * At start, after the check: wanted files that are absent or not the torrent's length
   * (paths start with the torrent's name). Emitted only when there is at least one; a fresh
   * download sees every file here, so print it when seeding (or resuming).
   */
  | { readonly type: 'files_missing'; readonly files: readonly FileProblem[] }
  /**
   * A verified piece no longer matched its hash when read back for uploading (its file was
   * edited while we ran). It is withdrawn and never served; requests for it are rejected.
   */
  | { readonly type: 'piece_changed'; readonly piece: number }
  /**
   * Storage failed in a way retrying will not fix (disk full, no permission, a symbolic link
   * in the way, an I/O error on a write or a checkpoint). Emitted once; the session keeps
   * running (serving what it verified) until its owner closes it, which it should do.
   */
  | { readonly type: 'fatal'; readonly code: FatalCode; readonly message: string }

import type { Clock, Hashing } from '../../core/env.js'
import type { RateLimiter } from '../../protocols/directory/tracker/index.js'
import type { IndexDb } from './index-db.js'
import type { TrackerPort } from './tracker-port.js'

/** What the request handlers share: the index, the tracker, and how to name ourselves. */
export interface DirectoryContext {
  readonly db: IndexDb
  readonly tracker: TrackerPort
  readonly clock: Clock
  readonly hashing: Hashing
  /** Only allow-listed and published info-hashes are tracked. */
  readonly allowListOnly: boolean
  readonly uploadBytesMax: number
  /** Files (padding left out) a published torrent may list. */
  readonly filesMax: number
  /** Publishes per source (see publish-limits.ts). */
  readonly publishLimiter: RateLimiter
  readonly publishRatePerSecond: number
  /** Wall-clock milliseconds (the index stores dates; the tracker runs on `clock`). */
  readonly wallNow: () => number
  /** Our tracker URLs as a client should use them, given the request's Host header. */
  readonly trackersFor: (host: string | undefined) => string[]
}

/**
 * One web seed's life, as data: how many fetches it may run, when it may try again after a
 * failure, and whether it is gone for good. Time is an input; nothing here does I/O.
 *
 * States: `ready` (may start fetches up to `fetchesMax`), `backing_off` (a fetch failed for a
 * reason that may pass: wait `backoff` and try again; the wait doubles with each failure in a
 * row up to `backoffMax` and resets on success), `failed` (the server said it will not serve
 * us: 404, no Range support...; never retried), `banned` (it sent data that failed a hash
 * check; never used again). libtorrent likewise waits `urlseed_wait_retry` after a failure and
 * drops a web seed that answers 404 or sends a bad piece.
 */
import { assert } from '../../../core/errors.js'
import { after, ms, type Duration, type Instant } from '../../../core/time.js'

export interface WebSeedConfig {
  /** Fetches (each a run of blocks) a seed runs at once. */
  readonly fetchesMax: number
  /**
   * The most bytes one fetch asks for. A fetch asks for what the seed delivers in
   * `fetchSeconds` at its current rate, at least one piece: a seed that grabbed much more
   * than it can bring soon would leave peers only endgame duplicates of its blocks.
   */
  readonly fetchBytes: number
  readonly fetchSeconds: number
  /** The first wait after a failure; it doubles with each failure in a row. */
  readonly backoff: Duration
  readonly backoffMax: Duration
  /** Redirects followed per request. */
  readonly redirectsMax: number
  /** Per HTTP request (connect, send, whole answer). */
  readonly requestTimeout: Duration
  /**
   * While peers bring at least this many bytes per second, web seeds fetch nothing new: the
   * swarm covers the download and the seed's server is spared. 0 never idles them.
   */
  readonly idleWhenPeersFasterThan: number
}

export const DEFAULT_WEB_SEED_CONFIG: WebSeedConfig = {
  fetchesMax: 2,
  fetchBytes: 4 << 20,
  fetchSeconds: 2,
  backoff: ms(5_000),
  backoffMax: ms(300_000),
  redirectsMax: 3,
  requestTimeout: ms(60_000),
  idleWhenPeersFasterThan: 0,
}

export type WebSeedPhase = 'ready' | 'backing_off' | 'failed' | 'banned'

export class WebSeedState {
  private phaseNow: WebSeedPhase = 'ready'
  private fetches = 0
  private failuresInRow = 0
  private retryAt: Instant | undefined
  /** Why the seed is backing off, failed or banned (for status output). */
  lastError: string | undefined

  constructor(
    readonly url: string,
    private readonly config: WebSeedConfig,
  ) {}

  phase(now: Instant): WebSeedPhase {
    if (this.phaseNow === 'backing_off' && this.retryAt !== undefined && now >= this.retryAt) {
      this.phaseNow = 'ready'
      this.retryAt = undefined
    }
    return this.phaseNow
  }

  get fetchesInFlight(): number {
    return this.fetches
  }

  /** When a backing-off seed may try again. */
  get nextTryAt(): Instant | undefined {
    return this.retryAt
  }

  /** Whether a new fetch may start now (the caller then calls `started`). */
  canStart(now: Instant): boolean {
    return this.phase(now) === 'ready' && this.fetches < this.config.fetchesMax
  }

  started(now: Instant): void {
    assert(this.canStart(now), `web seed ${this.url} cannot start a fetch`)
    this.fetches++
  }

  succeeded(): void {
    this.finish()
    this.failuresInRow = 0
    if (this.phaseNow === 'ready') this.lastError = undefined
  }

  /** A fetch failed for a reason that may pass; `wait` overrides the back-off (Retry-After). */
  failedTransient(now: Instant, reason: string, wait?: Duration): void {
    this.finish()
    this.lastError = reason
    if (this.phaseNow === 'failed' || this.phaseNow === 'banned') return
    const backoff = Math.min(
      this.config.backoff * 2 ** Math.min(this.failuresInRow, 30),
      this.config.backoffMax,
    )
    this.failuresInRow++
    const until = after(now, wait ?? ms(backoff))
    // Two fetches failing together must not shorten each other's wait.
    if (this.retryAt === undefined || until > this.retryAt) this.retryAt = until
    this.phaseNow = 'backing_off'
  }

  /** The server will not serve us (404, no Range support): the seed is dropped. */
  failedPermanently(reason: string): void {
    this.finish()
    if (this.phaseNow === 'banned') return
    this.lastError = reason
    this.phaseNow = 'failed'
    this.retryAt = undefined
  }

  /** Data from this seed failed a hash check: dropped for the torrent's lifetime. */
  ban(reason: string): void {
    this.lastError = reason
    this.phaseNow = 'banned'
    this.retryAt = undefined
  }

  /** A fetch that was abandoned (shutdown, the seed dropped meanwhile). */
  abandoned(): void {
    this.finish()
  }

  private finish(): void {
    assert(this.fetches > 0, `web seed ${this.url}: no fetch in flight`)
    this.fetches--
  }
}

/**
 * Whether web seeds should start new fetches: not when the download is done, nor while peers
 * alone bring at least `idleWhenPeersFasterThan` bytes per second (when that is set).
 */
export function webSeedsWanted(peerRate: number, config: WebSeedConfig): boolean {
  return config.idleWhenPeersFasterThan <= 0 || peerRate < config.idleWhenPeersFasterThan
}

/**
 * Blocks the next fetch asks for: what `rate` (the seed's bytes per second) brings in
 * `fetchSeconds`, at least one piece's blocks and at most `fetchBytes`' worth. O(1).
 */
export function blocksPerFetch(
  rate: number,
  pieceLength: number,
  blockLength: number,
  config: WebSeedConfig,
): number {
  const wanted = Math.min(Math.max(rate * config.fetchSeconds, pieceLength), config.fetchBytes)
  return Math.max(1, Math.ceil(wanted / blockLength))
}

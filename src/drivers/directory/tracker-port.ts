import type { Address } from '../../core/address.js'
import type { DatagramSocket } from '../../core/env.js'
import type { Instant } from '../../core/time.js'
import type { SwarmCounts } from './index-db.js'

/**
 * What the directory server needs from the tracker core (src/protocols/directory/tracker),
 * named here so that the server, its routes and its tests depend on this shape only; the one
 * file that builds the real core is `tracker-core.ts`.
 */
export interface TrackerPort {
  /** The bencoded body for `GET /announce?<rawQuery>` (a refusal is a `failure reason`). */
  handleHttpAnnounce(rawQuery: string, remote: Address, now: Instant): Uint8Array
  handleHttpScrape(rawQuery: string, remote: Address, now: Instant): Uint8Array
  /** Per-source flood limit, shared by HTTP and UDP: false means drop the request. */
  admit(remote: Address, now: Instant): boolean
  countsOf(infoHash: Uint8Array): SwarmCounts | undefined
  /** Info-hashes whose counts changed since the last call. */
  takeChangedSwarms(): Uint8Array[]
  /** Allow-list mode: track this info-hash. */
  allow(infoHash: Uint8Array): void
  /** Restores a swarm's `completed` count (kept in the index across restarts). */
  setCompleted(infoHash: Uint8Array, completed: number): void
  /** Serves BEP 15 on `socket`; returns a function that stops serving (the socket stays open). */
  serveUdp(socket: DatagramSocket): () => void
  /** Stops the core's timers. */
  close(): void
}

/**
 * What every tracker client speaks, whatever the transport: the announce `event` (BEP 3 and
 * BEP 15 share the vocabulary), the answer an announce yields (HTTP and UDP both reduce to
 * `AnnounceResponse`), scrape counts (BEP 48, BEP 15), and the typed failure a driver reports.
 */
import type { Address } from '../../../core/address.js'
import type { Duration } from '../../../core/time.js'

/** `info_hash` and `peer_id` are 20 raw bytes (BEP 3). */
export const INFO_HASH_BYTES = 20
export const PEER_ID_BYTES = 20

/** BEP 3's `event`; `none` is the regular re-announce (omitted in HTTP, 0 in BEP 15). */
export type AnnounceEvent = 'none' | 'completed' | 'started' | 'stopped'

/** A successful announce, from either transport, after validation and clamping. */
export interface AnnounceResponse {
  /** When to announce again (BEP 3 `interval`); undefined when the tracker left it out. */
  readonly interval?: Duration
  /** The tracker asks not to be re-announced to sooner than this (`min interval`). */
  readonly minInterval?: Duration
  /** To be echoed back as `trackerid` on later announces (raw bytes, percent-encoded). */
  readonly trackerId?: Uint8Array
  /** Seeders (`complete`). */
  readonly complete?: number
  /** Leechers (`incomplete`). */
  readonly incomplete?: number
  /** A `warning message`: the announce worked, but show this to the user. */
  readonly warning?: string
  /** IPv4 and IPv6 peers, deduplicated, at most `TRACKER_PEERS_MAX`. */
  readonly peers: readonly Address[]
}

/** Counts for one torrent in a scrape (BEP 48 `files` entry, BEP 15 scrape response). */
export interface ScrapeFile {
  readonly infoHash: Uint8Array
  /** Seeders. */
  readonly complete: number
  /** Completed downloads ever (BEP 15 calls it `completed`). */
  readonly downloaded: number
  /** Leechers. */
  readonly incomplete: number
}

export interface ScrapeResponse {
  readonly files: readonly ScrapeFile[]
  /** BEP 48 `flags.min_request_interval`: do not scrape again sooner. */
  readonly minRequestInterval?: Duration
}

export type TrackerErrorCode =
  /** The tracker answered with `failure reason` (HTTP) or a BEP 15 error packet. */
  | 'tracker_failure'
  /** The answer could not be read (not bencode, wrong types, bad compact lengths). */
  | 'malformed'
  /** No answer in time. */
  | 'timeout'
  /** The driver could not reach the tracker (DNS, refused, reset, HTTP status). */
  | 'network'
  /** The driver cannot speak this URL's scheme. */
  | 'unsupported'

/** Why an announce or scrape did not succeed, as the driver reports it to the announcer. */
export interface TrackerError {
  readonly code: TrackerErrorCode
  readonly message: string
}

/**
 * Most peers kept from one response. A tracker normally returns `numwant` (50) peers; 10,000 is
 * far beyond any real answer and bounds what one hostile response can make us hold.
 */
export const TRACKER_PEERS_MAX = 10_000
/** Longest `failure reason` / `warning message` / BEP 15 error text kept, in characters. */
export const TRACKER_MESSAGE_CHARS_MAX = 1024
/** Longest `tracker id` kept and echoed back, in bytes. */
export const TRACKER_ID_BYTES_MAX = 256
/**
 * Largest interval accepted from a tracker: a week. Anything larger is clamped to it, so an
 * absurd value cannot park a torrent forever; the announcer applies its own, tighter bounds.
 */
export const TRACKER_INTERVAL_SECONDS_MAX = 7 * 24 * 3600

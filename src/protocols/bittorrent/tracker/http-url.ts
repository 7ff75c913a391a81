/**
 * HTTP tracker request URLs (BEP 3, BEP 23, BEP 48). Pure string building: the driver sends the
 * GET with Node's HTTP client.
 *
 * Binary values (`info_hash`, `peer_id`, `trackerid`) are percent-encoded byte by byte: RFC 3986
 * unreserved characters stay literal, every other byte becomes `%XX` in uppercase hex. That is
 * what BEP 3 shows and what every tracker decodes; a text encoder (URLSearchParams,
 * encodeURIComponent) would first turn the bytes into UTF-8 and corrupt them.
 */
import { isValidPort } from '../../../core/address.js'
import { assert } from '../../../core/errors.js'
import { INFO_HASH_BYTES, PEER_ID_BYTES, type AnnounceEvent } from './types.js'
import { percentEncodeBytes } from '../../../core/percent.js'

export interface AnnounceParams {
  readonly infoHash: Uint8Array
  readonly peerId: Uint8Array
  /** The port we accept peer connections on. */
  readonly port: number
  /** Bytes, since the `started` announce. */
  readonly uploaded: number
  readonly downloaded: number
  /** Bytes still needed for the whole torrent; 0 for a seed. */
  readonly left: number
  readonly event: AnnounceEvent
  /** Peers wanted; the tracker's default (usually 50) when absent. */
  readonly numwant?: number
  /** A per-session secret (uint32) that lets the tracker recognise us across IP changes. */
  readonly key?: number
  /** Echo of a previous response's `tracker id`. */
  readonly trackerId?: Uint8Array
  /** BEP 23 compact peers; on unless set to false. */
  readonly compact?: boolean
  /** Ask the tracker to omit peer ids in a dict peer list; on unless set to false. */
  readonly noPeerId?: boolean
}

/** Byte-wise percent-encoding of raw bytes, as trackers expect for `info_hash`. */
export { percentEncodeBytes }

function checkCount(name: string, value: number): void {
  assert(Number.isSafeInteger(value) && value >= 0, `${name} must be a non-negative integer`)
}

/**
 * The GET URL for an announce. The parameters follow `announceUrl`'s own query (some trackers
 * put a passkey there) after `&`, and go before any `#fragment`.
 */
export function buildAnnounceUrl(announceUrl: string, params: AnnounceParams): string {
  assert(params.infoHash.length === INFO_HASH_BYTES, 'info_hash must be 20 bytes')
  assert(params.peerId.length === PEER_ID_BYTES, 'peer_id must be 20 bytes')
  assert(isValidPort(params.port), 'port must be 0..65535')
  checkCount('uploaded', params.uploaded)
  checkCount('downloaded', params.downloaded)
  checkCount('left', params.left)
  const query = [
    `info_hash=${percentEncodeBytes(params.infoHash)}`,
    `peer_id=${percentEncodeBytes(params.peerId)}`,
    `port=${params.port}`,
    `uploaded=${params.uploaded}`,
    `downloaded=${params.downloaded}`,
    `left=${params.left}`,
  ]
  if (params.compact !== false) query.push('compact=1')
  if (params.noPeerId !== false) query.push('no_peer_id=1')
  if (params.event !== 'none') query.push(`event=${params.event}`)
  if (params.numwant !== undefined) {
    checkCount('numwant', params.numwant)
    query.push(`numwant=${params.numwant}`)
  }
  if (params.key !== undefined) {
    assert(Number.isInteger(params.key) && params.key >= 0 && params.key <= 0xffffffff, 'key')
    // Eight hex digits, as libtorrent sends it: the same uint32 BEP 15 carries in binary.
    query.push(`key=${params.key.toString(16).toUpperCase().padStart(8, '0')}`)
  }
  if (params.trackerId !== undefined) {
    query.push(`trackerid=${percentEncodeBytes(params.trackerId)}`)
  }
  return appendQuery(announceUrl, query.join('&'))
}

/** `url` with `query` added to its query string, keeping a `#fragment` last. */
export function appendQuery(url: string, query: string): string {
  const hash = url.indexOf('#')
  const base = hash < 0 ? url : url.slice(0, hash)
  const fragment = hash < 0 ? '' : url.slice(hash)
  const separator = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&'
  return `${base}${separator}${query}${fragment}`
}

/**
 * The scrape URL by BEP 48's convention: the text after the announce URL's last `/` must
 * start with `announce`, which becomes `scrape` (`/announce.php?x` -> `/scrape.php?x`).
 * Undefined when the tracker does not follow the convention, so it cannot be scraped.
 */
export function scrapeUrlFor(announceUrl: string): string | undefined {
  const slash = announceUrl.lastIndexOf('/')
  if (slash < 0) return undefined
  const rest = announceUrl.slice(slash + 1)
  if (!rest.startsWith('announce')) return undefined
  return `${announceUrl.slice(0, slash + 1)}scrape${rest.slice('announce'.length)}`
}

/** The GET URL scraping `infoHashes` (one `info_hash` parameter each, BEP 48). */
export function buildScrapeUrl(scrapeUrl: string, infoHashes: readonly Uint8Array[]): string {
  for (const hash of infoHashes) assert(hash.length === INFO_HASH_BYTES, 'info_hash 20 bytes')
  if (infoHashes.length === 0) return scrapeUrl
  return appendQuery(
    scrapeUrl,
    infoHashes.map((hash) => `info_hash=${percentEncodeBytes(hash)}`).join('&'),
  )
}

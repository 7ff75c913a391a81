/**
 * HTTP tracker response bodies (BEP 3 announce, BEP 23 / BEP 7 peers, BEP 48 scrape). The
 * driver hands over the body bytes of a 200 response; these functions never throw.
 *
 * Trackers are sloppy, so the bencode is read leniently: dictionary keys in any order (many
 * PHP trackers do not sort), and bytes after the value (a trailing newline) are ignored.
 * Duplicate keys are still refused: there is no right answer to pick. Numbers a tracker gets
 * wrong are dropped or clamped rather than failing the whole answer; what makes the answer
 * useless (not a dictionary, a broken peer string) is `malformed`. A `failure reason` is the
 * tracker's own refusal: `tracker_failure`, a different thing from an unreadable body.
 */
import { fromUtf8 } from '../../../core/bytes.js'
import {
  decode,
  dictGetBytes,
  dictGetDict,
  dictGetInt,
  isBDict,
  keyToBytes,
  type BDict,
} from '../../../core/codec/bencode.js'
import { err, ok, type Result } from '../../../core/result.js'
import { seconds, type Duration } from '../../../core/time.js'
import { collectCompact, collectPeers, PeerCollector } from './http-peers.js'
import {
  INFO_HASH_BYTES,
  TRACKER_ID_BYTES_MAX,
  TRACKER_INTERVAL_SECONDS_MAX,
  TRACKER_MESSAGE_CHARS_MAX,
  TRACKER_PEERS_MAX,
  type AnnounceResponse,
  type ScrapeFile,
  type ScrapeResponse,
  type TrackerError,
} from './types.js'

/**
 * Largest body we decode: 10,000 IPv6 peers take 180 KB compact, and a dictionary peer list
 * about 60 bytes per peer, so 2 MiB covers any answer we would keep.
 */
export const HTTP_RESPONSE_BYTES_MAX = 2 * 1024 * 1024
/** Most torrents kept from one scrape (we ask for a few; a full scrape is not for us). */
export const SCRAPE_FILES_MAX = TRACKER_PEERS_MAX

const DECODE_OPTIONS = {
  allowUnsortedKeys: true,
  allowTrailing: true,
  bytesMax: HTTP_RESPONSE_BYTES_MAX,
  // A dictionary peer list costs about 7 items per peer.
  itemsMax: 8 * TRACKER_PEERS_MAX + 1000,
} as const

const malformed = (message: string): { ok: false; error: TrackerError } =>
  err({ code: 'malformed', message })

/** The top-level dictionary, or the tracker's `failure reason`, or `malformed`. */
function readBody(body: Uint8Array): Result<BDict, TrackerError> {
  const decoded = decode(body, DECODE_OPTIONS)
  if (!decoded.ok) return malformed(`not bencode: ${decoded.error.message}`)
  if (!isBDict(decoded.value)) return malformed('not a dictionary')
  const failure = dictGetBytes(decoded.value, 'failure reason')
  if (failure !== undefined) return err({ code: 'tracker_failure', message: text(failure) })
  return ok(decoded.value)
}

/** Reads an announce response body. */
export function parseAnnounceResponse(body: Uint8Array): Result<AnnounceResponse, TrackerError> {
  const read = readBody(body)
  if (!read.ok) return read
  const dict = read.value
  const collector = new PeerCollector()
  const peers = collectPeers(dict.get('peers'), collector)
  if (!peers.ok) return malformed(`peers: ${peers.error}`)
  const peers6 = dictGetBytes(dict, 'peers6')
  if (peers6 !== undefined) {
    const read6 = collectCompact(peers6, 'ipv6', collector)
    if (!read6.ok) return malformed(`peers6: ${read6.error}`)
  }
  const interval = intervalAt(dict, 'interval')
  const minInterval = intervalAt(dict, 'min interval')
  const trackerId = dictGetBytes(dict, 'tracker id')
  const warning = dictGetBytes(dict, 'warning message')
  const complete = countAt(dict, 'complete')
  const incomplete = countAt(dict, 'incomplete')
  return ok({
    ...(interval === undefined ? {} : { interval }),
    ...(minInterval === undefined ? {} : { minInterval }),
    // A copy: decoded strings are views into the body, which the driver may reuse.
    ...(trackerId === undefined || trackerId.length > TRACKER_ID_BYTES_MAX
      ? {}
      : { trackerId: trackerId.slice() }),
    ...(complete === undefined ? {} : { complete }),
    ...(incomplete === undefined ? {} : { incomplete }),
    ...(warning === undefined ? {} : { warning: text(warning) }),
    peers: collector.peers,
  })
}

/** Reads a scrape response body (BEP 48): `files` keyed by the 20 raw info-hash bytes. */
export function parseScrapeResponse(body: Uint8Array): Result<ScrapeResponse, TrackerError> {
  const read = readBody(body)
  if (!read.ok) return read
  const filesDict = dictGetDict(read.value, 'files')
  if (filesDict === undefined) return malformed('no files dictionary')
  const files: ScrapeFile[] = []
  for (const [key, value] of filesDict) {
    if (files.length >= SCRAPE_FILES_MAX) break
    const infoHash = keyToBytes(key)
    // Skip entries we cannot attribute rather than refusing the counts of the others.
    if (infoHash?.length !== INFO_HASH_BYTES || !isBDict(value)) continue
    files.push({
      infoHash,
      complete: countAt(value, 'complete') ?? 0,
      downloaded: countAt(value, 'downloaded') ?? 0,
      incomplete: countAt(value, 'incomplete') ?? 0,
    })
  }
  const flags = dictGetDict(read.value, 'flags')
  const minRequestInterval = flags && intervalAt(flags, 'min_request_interval')
  return ok({ files, ...(minRequestInterval === undefined ? {} : { minRequestInterval }) })
}

/** Seconds at `key` as a Duration: negative or non-integer is dropped, huge is clamped. */
function intervalAt(dict: BDict, key: string): Duration | undefined {
  const value = dictGetInt(dict, key)
  if (value === undefined || value < 0) return undefined
  return seconds(Math.min(value, TRACKER_INTERVAL_SECONDS_MAX))
}

function countAt(dict: BDict, key: string): number | undefined {
  const value = dictGetInt(dict, key)
  return value === undefined || value < 0 ? undefined : value
}

/** Tracker text, decoded leniently (some trackers send latin1) and bounded. */
function text(bytes: Uint8Array): string {
  return fromUtf8(bytes.subarray(0, TRACKER_MESSAGE_CHARS_MAX * 4)).slice(
    0,
    TRACKER_MESSAGE_CHARS_MAX,
  )
}

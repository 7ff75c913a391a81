/**
 * Decodes BEP 15 datagrams (layout in `udp-layout.ts`). Never throws: every malformed datagram
 * is a typed error. BEP 15 tells clients not to assume exact sizes, so responses may carry
 * bytes past what we read (ignored) except where the tail is a list (peers, scrape entries),
 * whose length must then be a whole number of entries. Requests are decoded too, for the
 * tracker server and for round-trip tests.
 */
import { fromUtf8 } from '../../../core/bytes.js'
import { err, ok, type Result } from '../../../core/result.js'
import { compactPeerBytes, decodeCompactPeers, type IpFamily } from '../../../core/compact-peers.js'
import {
  INFO_HASH_BYTES,
  TRACKER_MESSAGE_CHARS_MAX,
  TRACKER_PEERS_MAX,
  type AnnounceEvent,
} from './types.js'
import type { UdpScrapeEntry, UdpTrackerRequest, UdpTrackerResponse } from './udp-messages.js'
import {
  ACTION_ANNOUNCE,
  ACTION_CONNECT,
  ACTION_ERROR,
  ACTION_SCRAPE,
  ANNOUNCE_REQUEST_BYTES,
  ANNOUNCE_RESPONSE_HEAD_BYTES,
  CONNECT_REQUEST_BYTES,
  CONNECT_RESPONSE_BYTES,
  ERROR_HEAD_BYTES,
  SCRAPE_ENTRY_BYTES,
  SCRAPE_INFO_HASHES_MAX,
  SCRAPE_REQUEST_HEAD_BYTES,
  SCRAPE_RESPONSE_HEAD_BYTES,
  UDP_TRACKER_PROTOCOL_ID,
} from './udp-layout.js'

export interface UdpTrackerDecodeError {
  readonly code: 'short' | 'bad_action' | 'bad_protocol_id' | 'bad_length' | 'bad_value'
  readonly detail: string
}

type Decoded<T> = Result<T, UdpTrackerDecodeError>

const fail = (code: UdpTrackerDecodeError['code'], detail: string): Decoded<never> =>
  err({ code, detail })

const EVENTS: readonly AnnounceEvent[] = ['none', 'completed', 'started', 'stopped']

const view = (bytes: Uint8Array): DataView =>
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)

/** A tracker's answer. `family` is that of the socket the request went out on. */
export function decodeUdpTrackerResponse(
  bytes: Uint8Array,
  family: IpFamily,
): Decoded<UdpTrackerResponse> {
  if (bytes.length < ERROR_HEAD_BYTES) return fail('short', `${bytes.length} bytes`)
  const v = view(bytes)
  const action = v.getUint32(0)
  const transactionId = v.getUint32(4)
  switch (action) {
    case ACTION_CONNECT:
      if (bytes.length < CONNECT_RESPONSE_BYTES) return fail('short', 'connect response')
      return ok({ type: 'connect_response', transactionId, connectionId: v.getBigUint64(8) })
    case ACTION_ANNOUNCE:
      return decodeAnnounceResponse(bytes, family, transactionId)
    case ACTION_SCRAPE: {
      const tail = bytes.length - SCRAPE_RESPONSE_HEAD_BYTES
      if (tail % SCRAPE_ENTRY_BYTES !== 0) return fail('bad_length', `scrape tail ${tail}`)
      const entries: UdpScrapeEntry[] = []
      for (let at = SCRAPE_RESPONSE_HEAD_BYTES; at < bytes.length; at += SCRAPE_ENTRY_BYTES) {
        const seeders = v.getUint32(at)
        entries.push({ seeders, completed: v.getUint32(at + 4), leechers: v.getUint32(at + 8) })
      }
      return ok({ type: 'scrape_response', transactionId, entries })
    }
    case ACTION_ERROR: {
      // Lossy UTF-8: the text is for humans, and trackers send whatever they like.
      const text = fromUtf8(bytes.subarray(ERROR_HEAD_BYTES, ERROR_HEAD_BYTES + 4096))
      return ok({ type: 'error', transactionId, message: text.slice(0, TRACKER_MESSAGE_CHARS_MAX) })
    }
    default:
      return fail('bad_action', `action ${action}`)
  }
}

function decodeAnnounceResponse(
  bytes: Uint8Array,
  family: IpFamily,
  transactionId: number,
): Decoded<UdpTrackerResponse> {
  if (bytes.length < ANNOUNCE_RESPONSE_HEAD_BYTES) return fail('short', 'announce response')
  const v = view(bytes)
  const size = compactPeerBytes(family)
  const tail = bytes.length - ANNOUNCE_RESPONSE_HEAD_BYTES
  if (tail % size !== 0) return fail('bad_length', `${tail} peer bytes over ${family}`)
  // A 64 KiB datagram holds about 10,900 IPv4 peers: keep the first TRACKER_PEERS_MAX.
  const end = ANNOUNCE_RESPONSE_HEAD_BYTES + Math.min(tail, TRACKER_PEERS_MAX * size)
  const peers = decodeCompactPeers(bytes.subarray(ANNOUNCE_RESPONSE_HEAD_BYTES, end), family)
  if (!peers.ok) return fail('bad_length', peers.error.detail)
  return ok({
    type: 'announce_response',
    transactionId,
    interval: v.getUint32(8),
    leechers: v.getUint32(12),
    seeders: v.getUint32(16),
    peers: peers.value,
  })
}

/** A client's request, as a tracker server reads it. */
export function decodeUdpTrackerRequest(bytes: Uint8Array): Decoded<UdpTrackerRequest> {
  if (bytes.length < CONNECT_REQUEST_BYTES) return fail('short', `${bytes.length} bytes`)
  const v = view(bytes)
  const connectionId = v.getBigUint64(0)
  const action = v.getUint32(8)
  const transactionId = v.getUint32(12)
  if (action === ACTION_CONNECT) {
    if (connectionId !== UDP_TRACKER_PROTOCOL_ID) return fail('bad_protocol_id', 'connect')
    return ok({ type: 'connect_request', transactionId })
  }
  if (action === ACTION_SCRAPE) {
    const tail = bytes.length - SCRAPE_REQUEST_HEAD_BYTES
    const count = tail / INFO_HASH_BYTES
    if (!Number.isInteger(count)) return fail('bad_length', `scrape tail ${tail}`)
    if (count < 1 || count > SCRAPE_INFO_HASHES_MAX) return fail('bad_value', `${count} hashes`)
    const infoHashes: Uint8Array[] = []
    for (let at = SCRAPE_REQUEST_HEAD_BYTES; at < bytes.length; at += INFO_HASH_BYTES) {
      infoHashes.push(bytes.slice(at, at + INFO_HASH_BYTES))
    }
    return ok({ type: 'scrape_request', connectionId, transactionId, infoHashes })
  }
  if (action !== ACTION_ANNOUNCE) return fail('bad_action', `action ${action}`)
  // Longer is allowed: BEP 41 appends options after the 98 bytes.
  if (bytes.length < ANNOUNCE_REQUEST_BYTES) return fail('short', 'announce request')
  const downloaded = safeCount(v.getBigInt64(56))
  const left = safeCount(v.getBigInt64(64))
  const uploaded = safeCount(v.getBigInt64(72))
  if (downloaded === undefined || left === undefined || uploaded === undefined) {
    return fail('bad_value', 'byte count out of range')
  }
  const event = EVENTS[v.getUint32(80)]
  if (event === undefined) return fail('bad_value', `event ${v.getUint32(80)}`)
  const numWant = v.getInt32(92)
  return ok({
    type: 'announce_request',
    connectionId,
    transactionId,
    infoHash: bytes.slice(16, 36),
    peerId: bytes.slice(36, 56),
    downloaded,
    left,
    uploaded,
    event,
    key: v.getUint32(88),
    // Any negative num_want means "the default", which we write as -1.
    numWant: numWant < 0 ? -1 : numWant,
    port: v.getUint16(96),
  })
}

function safeCount(value: bigint): number | undefined {
  return value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(value)
}

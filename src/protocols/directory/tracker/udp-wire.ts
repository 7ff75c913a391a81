/**
 * The tracker's side of the BEP 15 wire (layout in `bittorrent/tracker/udp-layout.ts`):
 * reading request fields in place and writing responses. Peers are copied straight from the
 * tables' compact records, so an answer never builds an object per peer.
 */
import { utf8 } from '../../../core/bytes.js'
import type { Codec } from '../../../core/core.js'
import { ok } from '../../../core/result.js'
import {
  ACTION_ANNOUNCE,
  ACTION_CONNECT,
  ACTION_ERROR,
  ACTION_SCRAPE,
  ANNOUNCE_RESPONSE_HEAD_BYTES,
  CONNECT_RESPONSE_BYTES,
  ERROR_HEAD_BYTES,
  SCRAPE_ENTRY_BYTES,
  SCRAPE_RESPONSE_HEAD_BYTES,
} from '../../bittorrent/tracker/udp-layout.js'
import type { SwarmCounts } from './swarm-registry.js'

export {
  ACTION_ANNOUNCE,
  ACTION_CONNECT,
  ACTION_ERROR,
  ACTION_SCRAPE,
  ANNOUNCE_REQUEST_BYTES,
  CONNECT_REQUEST_BYTES,
  SCRAPE_REQUEST_HEAD_BYTES,
  UDP_TRACKER_PROTOCOL_ID,
} from '../../bittorrent/tracker/udp-layout.js'

/** Request field offsets (connection id 0, action 8, transaction id 12 in every request). */
export const AT_ACTION = 8
export const AT_TRANSACTION = 12
export const AT_INFO_HASH = 16
export const AT_PEER_ID = 36
export const AT_LEFT = 64
export const AT_EVENT = 80
export const AT_IP = 84
export const AT_NUM_WANT = 92
export const AT_PORT = 96

/** Longest error text we send: errors go to unverified sources, so keep them small. */
const ERROR_TEXT_BYTES_MAX = 64
const UINT32_MAX = 0xffffffff

export const view = (bytes: Uint8Array): DataView =>
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)

const clampU32 = (value: number): number => Math.min(UINT32_MAX, Math.max(0, Math.floor(value)))

export function connectResponse(transactionId: number, connectionId: Uint8Array): Uint8Array {
  const out = new Uint8Array(CONNECT_RESPONSE_BYTES)
  const v = view(out)
  v.setUint32(0, ACTION_CONNECT)
  v.setUint32(4, transactionId)
  out.set(connectionId, 8)
  return out
}

/** `peers` is a compact list of the request's family (6 or 18 bytes each). */
export function announceResponse(
  transactionId: number,
  intervalSeconds: number,
  counts: SwarmCounts,
  peers: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(ANNOUNCE_RESPONSE_HEAD_BYTES + peers.length)
  const v = view(out)
  v.setUint32(0, ACTION_ANNOUNCE)
  v.setUint32(4, transactionId)
  v.setUint32(8, clampU32(intervalSeconds))
  v.setUint32(12, clampU32(counts.leechers))
  v.setUint32(16, clampU32(counts.seeders))
  out.set(peers, ANNOUNCE_RESPONSE_HEAD_BYTES)
  return out
}

/** Entries in request order: seeders, completed, leechers (BEP 15's order). */
export function scrapeResponse(transactionId: number, entries: readonly SwarmCounts[]): Uint8Array {
  const out = new Uint8Array(SCRAPE_RESPONSE_HEAD_BYTES + entries.length * SCRAPE_ENTRY_BYTES)
  const v = view(out)
  v.setUint32(0, ACTION_SCRAPE)
  v.setUint32(4, transactionId)
  entries.forEach((entry, i) => {
    const at = SCRAPE_RESPONSE_HEAD_BYTES + i * SCRAPE_ENTRY_BYTES
    v.setUint32(at, clampU32(entry.seeders))
    v.setUint32(at + 4, clampU32(entry.completed))
    v.setUint32(at + 8, clampU32(entry.leechers))
  })
  return out
}

export function errorResponse(transactionId: number, message: string): Uint8Array {
  const text = utf8(message).subarray(0, ERROR_TEXT_BYTES_MAX)
  const out = new Uint8Array(ERROR_HEAD_BYTES + text.length)
  const v = view(out)
  v.setUint32(0, ACTION_ERROR)
  v.setUint32(4, transactionId)
  out.set(text, ERROR_HEAD_BYTES)
  return out
}

/** The UDP core speaks raw datagrams: the codec is the identity and never fails. */
export const rawDatagramCodec: Codec<Uint8Array, never> = {
  encode: (bytes) => bytes,
  decode: (bytes) => ok(bytes),
}

/** Names an outgoing response for metrics (`attach`'s `messageName`). */
export function udpResponseName(message: unknown): string {
  if (!(message instanceof Uint8Array) || message.length < 4) return 'datagram'
  const action = view(message).getUint32(0)
  return ['connect', 'announce', 'scrape', 'error'][action] ?? 'datagram'
}

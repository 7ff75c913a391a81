/**
 * One UDP tracker request's data, and the pure steps of its life: which datagram its current
 * phase sends, which event a response in the `request` phase completes it with, and how the
 * driver hands that outcome to the announcer. The core (`udp-client.ts`) owns the timing and
 * the matching.
 */
import type { Address } from '../../../core/address.js'
import { seconds, type Instant } from '../../../core/time.js'
import {
  TRACKER_INTERVAL_SECONDS_MAX,
  type AnnounceEvent,
  type AnnounceResponse,
  type TrackerError,
} from './types.js'
import type {
  UdpFailureReason,
  UdpRequestId,
  UdpTrackerEvent,
  UdpTrackerMessage,
  UdpTrackerResponse,
} from './udp-messages.js'

/** What to announce; the core adds the connection and transaction ids. */
export interface UdpAnnounceParams {
  readonly infoHash: Uint8Array
  readonly peerId: Uint8Array
  readonly downloaded: number
  readonly left: number
  readonly uploaded: number
  readonly event: AnnounceEvent
  /** The per-session uint32 secret (the HTTP `key`). */
  readonly key: number
  /** -1 for the tracker's default. */
  readonly numWant: number
  readonly port: number
}

export type UdpRequestBody =
  | { readonly kind: 'announce'; readonly params: UdpAnnounceParams }
  | { readonly kind: 'scrape'; readonly infoHashes: readonly Uint8Array[] }

export interface UdpPending {
  readonly id: UdpRequestId
  readonly tracker: Address
  readonly body: UdpRequestBody
  phase: 'connect' | 'request'
  transactionId: number
  /** BEP 15's n: the current wait is `retransmitBase * 2^n`. */
  attempt: number
  deadline: Instant
  /** The connection id the `request` phase uses, and when it stops being valid. */
  connectionId: bigint
  connectionExpiresAt: Instant
}

/** The datagram for the request's current phase. */
export function requestMessage(entry: UdpPending): UdpTrackerMessage {
  const { transactionId, connectionId, body } = entry
  if (entry.phase === 'connect') return { type: 'connect_request', transactionId }
  return body.kind === 'announce'
    ? { type: 'announce_request', connectionId, transactionId, ...body.params }
    : { type: 'scrape_request', connectionId, transactionId, infoHashes: body.infoHashes }
}

/** The success event a `request`-phase response yields, or undefined for the wrong action. */
export function successEvent(
  entry: UdpPending,
  message: UdpTrackerResponse,
): UdpTrackerEvent | undefined {
  const { body } = entry
  const requestId = entry.id
  if (body.kind === 'announce' && message.type === 'announce_response') {
    const { leechers, seeders, peers } = message
    const interval = seconds(Math.min(message.interval, TRACKER_INTERVAL_SECONDS_MAX))
    return { type: 'announce_succeeded', requestId, interval, leechers, seeders, peers }
  }
  if (body.kind === 'scrape' && message.type === 'scrape_response') {
    // Entries answer the info-hashes in order; a short answer covers only the first ones.
    const files = message.entries.slice(0, body.infoHashes.length).map((entry, i) => ({
      infoHash: body.infoHashes[i] as Uint8Array,
      complete: entry.seeders,
      downloaded: entry.completed,
      incomplete: entry.leechers,
    }))
    return { type: 'scrape_succeeded', requestId, files }
  }
  return undefined
}

/** An `announce_succeeded` event in the transport-neutral form the announcer takes. */
export function udpAnnounceResponse(
  event: Extract<UdpTrackerEvent, { type: 'announce_succeeded' }>,
): AnnounceResponse {
  const { interval, seeders, leechers, peers } = event
  return { interval, complete: seeders, incomplete: leechers, peers }
}

/** A UDP failure as the announcer's `TrackerError`: an `error` is the tracker's refusal. */
export function udpTrackerError(reason: UdpFailureReason, message: string): TrackerError {
  return { code: reason === 'timeout' ? 'timeout' : 'tracker_failure', message }
}

/**
 * BEP 15 (UDP tracker protocol) messages. Requests go client -> tracker, responses come back;
 * the four actions are BEP 15's own: connect (0), announce (1), scrape (2), error (3). 64-bit
 * fields are `bigint` where the value is opaque (connection ids) and `number` where it is a byte
 * count (safe integers cover 8 PiB).
 */
import type { Address } from '../../../core/address.js'
import type { Duration } from '../../../core/time.js'
import type { AnnounceEvent, ScrapeFile } from './types.js'

export type UdpConnectRequest = {
  readonly type: 'connect_request'
  readonly transactionId: number
}

export type UdpAnnounceRequest = {
  readonly type: 'announce_request'
  readonly connectionId: bigint
  readonly transactionId: number
  readonly infoHash: Uint8Array
  readonly peerId: Uint8Array
  readonly downloaded: number
  readonly left: number
  readonly uploaded: number
  readonly event: AnnounceEvent
  /** uint32 session secret, the same `key` as in HTTP announces. */
  readonly key: number
  /** Peers wanted; -1 asks for the tracker's default. */
  readonly numWant: number
  readonly port: number
}

export type UdpScrapeRequest = {
  readonly type: 'scrape_request'
  readonly connectionId: bigint
  readonly transactionId: number
  readonly infoHashes: readonly Uint8Array[]
}

export type UdpConnectResponse = {
  readonly type: 'connect_response'
  readonly transactionId: number
  readonly connectionId: bigint
}

export type UdpAnnounceResponse = {
  readonly type: 'announce_response'
  readonly transactionId: number
  /** Seconds. */
  readonly interval: number
  readonly leechers: number
  readonly seeders: number
  /** IPv4 peers when the request went over IPv4, IPv6 when over IPv6 (BEP 15). */
  readonly peers: readonly Address[]
}

export type UdpScrapeEntry = {
  readonly seeders: number
  readonly completed: number
  readonly leechers: number
}

export type UdpScrapeResponse = {
  readonly type: 'scrape_response'
  readonly transactionId: number
  /** In the order of the request's info-hashes. */
  readonly entries: readonly UdpScrapeEntry[]
}

export type UdpErrorResponse = {
  readonly type: 'error'
  readonly transactionId: number
  readonly message: string
}

export type UdpTrackerRequest = UdpConnectRequest | UdpAnnounceRequest | UdpScrapeRequest
export type UdpTrackerResponse =
  UdpConnectResponse | UdpAnnounceResponse | UdpScrapeResponse | UdpErrorResponse
export type UdpTrackerMessage = UdpTrackerRequest | UdpTrackerResponse

export const isUdpTrackerResponse = (message: UdpTrackerMessage): message is UdpTrackerResponse =>
  message.type !== 'connect_request' &&
  message.type !== 'announce_request' &&
  message.type !== 'scrape_request'

// ---------------------------------------------------------------------------------------------
// What the UDP tracker client core reports (`UdpTrackerClient`).

/** Names one `announce` or `scrape` command of a `UdpTrackerClient`. */
export type UdpRequestId = number & { readonly __brand: 'UdpRequestId' }

/** `timeout`: every retransmission went unanswered; `error`: the tracker refused or we did. */
export type UdpFailureReason = 'timeout' | 'error'

export type UdpTrackerEvent =
  | {
      readonly type: 'announce_succeeded'
      readonly requestId: UdpRequestId
      /** The tracker's interval, clamped to `TRACKER_INTERVAL_SECONDS_MAX`. */
      readonly interval: Duration
      readonly leechers: number
      readonly seeders: number
      readonly peers: readonly Address[]
    }
  | {
      readonly type: 'announce_failed'
      readonly requestId: UdpRequestId
      readonly reason: UdpFailureReason
      readonly message: string
    }
  | {
      readonly type: 'scrape_succeeded'
      readonly requestId: UdpRequestId
      readonly files: readonly ScrapeFile[]
    }
  | {
      readonly type: 'scrape_failed'
      readonly requestId: UdpRequestId
      readonly reason: UdpFailureReason
      readonly message: string
    }

/**
 * BEP 15 wire format, big-endian throughout:
 *
 *   connect request    protocol_id 0x41727101980 (8) | action 0 (4) | transaction_id (4)
 *   connect response   action 0 (4) | transaction_id (4) | connection_id (8)
 *   announce request   connection_id (8) | action 1 (4) | transaction_id (4) | info_hash (20)
 *                      | peer_id (20) | downloaded (8) | left (8) | uploaded (8) | event (4)
 *                      | IP address (4, 0 = the sender's) | key (4) | num_want (4, -1 default)
 *                      | port (2)                                                = 98 bytes
 *   announce response  action 1 (4) | transaction_id (4) | interval (4) | leechers (4)
 *                      | seeders (4) | peers: 6 bytes each over IPv4, 18 over IPv6
 *   scrape request     connection_id (8) | action 2 (4) | transaction_id (4) | info_hash (20)*n
 *   scrape response    action 2 (4) | transaction_id (4) | (seeders, completed, leechers)*n
 *   error response     action 3 (4) | transaction_id (4) | message (the rest, text)
 *
 * The announce response does not say which peer size it carries: the family of the socket the
 * request went out on does. So the codec is built per family (`udpTrackerCodec('ipv6')`).
 */
import type { AnnounceEvent } from './types.js'

/** The magic constant that opens a connect request. */
export const UDP_TRACKER_PROTOCOL_ID = 0x41727101980n

export const ACTION_CONNECT = 0
export const ACTION_ANNOUNCE = 1
export const ACTION_SCRAPE = 2
export const ACTION_ERROR = 3

export const CONNECT_REQUEST_BYTES = 16
export const CONNECT_RESPONSE_BYTES = 16
export const ANNOUNCE_REQUEST_BYTES = 98
export const ANNOUNCE_RESPONSE_HEAD_BYTES = 20
export const SCRAPE_REQUEST_HEAD_BYTES = 16
export const SCRAPE_RESPONSE_HEAD_BYTES = 8
export const SCRAPE_ENTRY_BYTES = 12
export const ERROR_HEAD_BYTES = 8
/** BEP 15: "Up to about 74 torrents can be scraped at once" (16 + 74 * 20 bytes fits 1500). */
export const SCRAPE_INFO_HASHES_MAX = 74

export const EVENT_CODES: Readonly<Record<AnnounceEvent, number>> = {
  none: 0,
  completed: 1,
  started: 2,
  stopped: 3,
}

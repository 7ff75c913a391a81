/** Encodes BEP 15 messages (layout in `udp-layout.ts`). Local values only: bad fields throw. */
import { assert } from '../../../core/errors.js'
import { encodeCompactPeers, type IpFamily } from '../../../core/compact-peers.js'
import { INFO_HASH_BYTES, PEER_ID_BYTES } from './types.js'
import type { UdpAnnounceRequest, UdpTrackerMessage } from './udp-messages.js'
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
  EVENT_CODES,
  SCRAPE_ENTRY_BYTES,
  SCRAPE_INFO_HASHES_MAX,
  SCRAPE_REQUEST_HEAD_BYTES,
  SCRAPE_RESPONSE_HEAD_BYTES,
  UDP_TRACKER_PROTOCOL_ID,
} from './udp-layout.js'

const UINT32_MAX = 0xffffffff
const U64_MAX = (1n << 64n) - 1n

const view = (bytes: Uint8Array): DataView =>
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)

function uint32(value: number, name: string): number {
  assert(Number.isInteger(value) && value >= 0 && value <= UINT32_MAX, `${name} must be uint32`)
  return value
}

function uint64(value: number | bigint, name: string): bigint {
  const big = typeof value === 'bigint' ? value : BigInt(value)
  assert(big >= 0n && big <= U64_MAX, `${name} must be uint64`)
  return big
}

/** Encodes any BEP 15 message; a bad field is a programmer error and throws. */
export function encodeUdpTrackerMessage(message: UdpTrackerMessage, family: IpFamily): Uint8Array {
  switch (message.type) {
    case 'connect_request': {
      const out = new Uint8Array(CONNECT_REQUEST_BYTES)
      head(out, UDP_TRACKER_PROTOCOL_ID, ACTION_CONNECT, message.transactionId)
      return out
    }
    case 'announce_request':
      return encodeAnnounceRequest(message)
    case 'scrape_request': {
      const count = message.infoHashes.length
      assert(count >= 1 && count <= SCRAPE_INFO_HASHES_MAX, 'scrape 1..74 info-hashes')
      const out = new Uint8Array(SCRAPE_REQUEST_HEAD_BYTES + count * INFO_HASH_BYTES)
      head(out, message.connectionId, ACTION_SCRAPE, message.transactionId)
      message.infoHashes.forEach((hash, i) => {
        assert(hash.length === INFO_HASH_BYTES, 'info_hash must be 20 bytes')
        out.set(hash, SCRAPE_REQUEST_HEAD_BYTES + i * INFO_HASH_BYTES)
      })
      return out
    }
    case 'connect_response': {
      const out = new Uint8Array(CONNECT_RESPONSE_BYTES)
      responseHead(out, ACTION_CONNECT, message.transactionId)
      view(out).setBigUint64(8, uint64(message.connectionId, 'connection_id'))
      return out
    }
    case 'announce_response': {
      const peers = encodeCompactPeers(message.peers, family)
      const out = new Uint8Array(ANNOUNCE_RESPONSE_HEAD_BYTES + peers.length)
      responseHead(out, ACTION_ANNOUNCE, message.transactionId)
      const v = view(out)
      v.setUint32(8, uint32(message.interval, 'interval'))
      v.setUint32(12, uint32(message.leechers, 'leechers'))
      v.setUint32(16, uint32(message.seeders, 'seeders'))
      out.set(peers, ANNOUNCE_RESPONSE_HEAD_BYTES)
      return out
    }
    case 'scrape_response': {
      const out = new Uint8Array(
        SCRAPE_RESPONSE_HEAD_BYTES + message.entries.length * SCRAPE_ENTRY_BYTES,
      )
      responseHead(out, ACTION_SCRAPE, message.transactionId)
      const v = view(out)
      message.entries.forEach((entry, i) => {
        const at = SCRAPE_RESPONSE_HEAD_BYTES + i * SCRAPE_ENTRY_BYTES
        v.setUint32(at, uint32(entry.seeders, 'seeders'))
        v.setUint32(at + 4, uint32(entry.completed, 'completed'))
        v.setUint32(at + 8, uint32(entry.leechers, 'leechers'))
      })
      return out
    }
    case 'error': {
      const text = new TextEncoder().encode(message.message)
      const out = new Uint8Array(ERROR_HEAD_BYTES + text.length)
      responseHead(out, ACTION_ERROR, message.transactionId)
      out.set(text, ERROR_HEAD_BYTES)
      return out
    }
  }
}

/** connection_id (or protocol_id) | action | transaction_id: the 16-byte request head. */
function head(out: Uint8Array, connectionId: bigint, action: number, transactionId: number): void {
  const v = view(out)
  v.setBigUint64(0, uint64(connectionId, 'connection_id'))
  v.setUint32(8, action)
  v.setUint32(12, uint32(transactionId, 'transaction_id'))
}

function responseHead(out: Uint8Array, action: number, transactionId: number): void {
  const v = view(out)
  v.setUint32(0, action)
  v.setUint32(4, uint32(transactionId, 'transaction_id'))
}

function encodeAnnounceRequest(message: UdpAnnounceRequest): Uint8Array {
  assert(message.infoHash.length === INFO_HASH_BYTES, 'info_hash must be 20 bytes')
  assert(message.peerId.length === PEER_ID_BYTES, 'peer_id must be 20 bytes')
  assert(Number.isInteger(message.numWant) && message.numWant >= -1, 'num_want must be >= -1')
  assert(message.numWant <= 0x7fffffff, 'num_want must fit int32')
  assert(Number.isInteger(message.port) && message.port >= 0 && message.port <= 0xffff, 'port')
  const out = new Uint8Array(ANNOUNCE_REQUEST_BYTES)
  head(out, message.connectionId, ACTION_ANNOUNCE, message.transactionId)
  out.set(message.infoHash, 16)
  out.set(message.peerId, 36)
  const v = view(out)
  v.setBigUint64(56, uint64(message.downloaded, 'downloaded'))
  v.setBigUint64(64, uint64(message.left, 'left'))
  v.setBigUint64(72, uint64(message.uploaded, 'uploaded'))
  v.setUint32(80, EVENT_CODES[message.event])
  // Bytes 84..87, the IP address, stay 0: the tracker uses the datagram's source.
  v.setUint32(88, uint32(message.key, 'key'))
  v.setInt32(92, message.numWant)
  v.setUint16(96, message.port)
  return out
}

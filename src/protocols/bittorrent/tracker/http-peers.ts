/**
 * The peer lists of an HTTP announce response. `peers` is either a compact string of 6-byte
 * IPv4 entries (BEP 23) or BEP 3's original list of `{ip, port, peer id}` dictionaries;
 * `peers6` is a compact string of 18-byte IPv6 entries (BEP 7).
 *
 * Lenient on entries, strict on framing: in the dictionary form an entry with a DNS name, a bad
 * port or missing fields is skipped (we resolve nothing in a sans-IO core, and one bad entry
 * should not cost the other peers), while a compact string whose length is not a whole number
 * of peers means the response is broken and is refused. Peer ids are dropped: the handshake
 * tells us the real one, and we ask trackers to omit them (`no_peer_id=1`).
 */
import { addressKey, type Address } from '../../../core/address.js'
import { fromUtf8Strict } from '../../../core/bytes.js'
import {
  dictGetBytes,
  dictGetInt,
  isBBytes,
  isBDict,
  type BValue,
} from '../../../core/codec/bencode.js'
import { err, ok, type Result } from '../../../core/result.js'
import { compactPeerBytes, decodeCompactPeers, type IpFamily } from '../../../core/compact-peers.js'
import { ipFromBytes, ipToBytes } from '../../../core/ip-bytes.js'
import { TRACKER_PEERS_MAX } from './types.js'

/** Collects peers, dropping duplicates and port 0, up to `TRACKER_PEERS_MAX`. */
export class PeerCollector {
  private readonly seen = new Set<string>()
  readonly peers: Address[] = []

  add(peer: Address): void {
    if (this.peers.length >= TRACKER_PEERS_MAX) return
    // Port 0 cannot be dialled: such an entry is junk, whatever the tracker meant by it.
    if (peer.port === 0) return
    const key = addressKey(peer)
    if (this.seen.has(key)) return
    this.seen.add(key)
    this.peers.push(peer)
  }
}

/** Reads `peers` (either form) into `into`; an error string when the value is unusable. */
export function collectPeers(value: BValue | undefined, into: PeerCollector): Result<void, string> {
  if (value === undefined) return ok(undefined)
  if (isBBytes(value)) return collectCompact(value, 'ipv4', into)
  if (!Array.isArray(value)) return err('peers is neither a string nor a list')
  for (const entry of value) {
    if (into.peers.length >= TRACKER_PEERS_MAX) break
    if (!isBDict(entry)) continue
    const ipBytes = dictGetBytes(entry, 'ip')
    const port = dictGetInt(entry, 'port')
    if (ipBytes === undefined || port === undefined || port < 1 || port > 0xffff) continue
    // Through bytes and back: `2001:DB8::1` and `2001:db8::1` must dedupe as one peer.
    const text = fromUtf8Strict(ipBytes)
    const raw = text === undefined ? undefined : ipToBytes(text)
    const host = raw === undefined ? undefined : ipFromBytes(raw)
    if (host === undefined) continue
    into.add({ host, port })
  }
  return ok(undefined)
}

/** Reads a compact string of `family` peers into `into`, or an error for a bad length. */
export function collectCompact(
  bytes: Uint8Array,
  family: IpFamily,
  into: PeerCollector,
): Result<void, string> {
  const size = compactPeerBytes(family)
  // Decode no more than could be kept: the length check still covers the whole string.
  const room = (TRACKER_PEERS_MAX - into.peers.length) * size
  if (bytes.length % size !== 0) return err(`${bytes.length} bytes is not a multiple of ${size}`)
  const decoded = decodeCompactPeers(bytes.subarray(0, Math.min(bytes.length, room)), family)
  if (!decoded.ok) return err(decoded.error.detail)
  for (const peer of decoded.value) into.add(peer)
  return ok(undefined)
}

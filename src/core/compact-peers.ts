/**
 * Compact peer lists (BEP 23 for IPv4, BEP 7 for IPv6): each peer is its address in network
 * order followed by a 2-byte big-endian port, so 6 bytes per IPv4 peer and 18 per IPv6 peer.
 * ut_pex, the HTTP and UDP trackers and the DHT's `values` all use this form.
 */
import type { Address } from './address.js'
import { readUint16BE, writeUint16BE } from './bytes.js'
import { assert, LocalProtocolError } from './errors.js'
import { err, ok, type Result } from './result.js'
import { IPV4_BYTES, IPV6_BYTES, readIpv4, readIpv6, writeIp } from './ip-bytes.js'

export type IpFamily = 'ipv4' | 'ipv6'

export const COMPACT_IPV4_PEER_BYTES = IPV4_BYTES + 2
export const COMPACT_IPV6_PEER_BYTES = IPV6_BYTES + 2

export const compactPeerBytes = (family: IpFamily): number =>
  family === 'ipv4' ? COMPACT_IPV4_PEER_BYTES : COMPACT_IPV6_PEER_BYTES

/** The only way a compact list can be malformed: a length that is not a whole number of peers. */
export interface CompactError {
  readonly code: 'bad_compact_length'
  readonly detail: string
}

/** Which family an address literal belongs to (IPv4-mapped IPv6 is IPv6), or undefined. */
export function ipFamilyOf(host: string): IpFamily | undefined {
  const scratch = new Uint8Array(IPV6_BYTES)
  if (writeIp(host, scratch, 0, IPV4_BYTES)) return 'ipv4'
  return writeIp(host, scratch, 0, IPV6_BYTES) ? 'ipv6' : undefined
}

/** The peer at `offset`; the caller has checked that its bytes are there. */
export function readCompactPeer(bytes: Uint8Array, offset: number, family: IpFamily): Address {
  if (family === 'ipv4') {
    return { host: readIpv4(bytes, offset), port: readUint16BE(bytes, offset + IPV4_BYTES) }
  }
  return { host: readIpv6(bytes, offset), port: readUint16BE(bytes, offset + IPV6_BYTES) }
}

/**
 * Writes `peer` at `offset` and returns the offset after it. A peer of the other family or an
 * invalid port is a programmer error: split lists by `ipFamilyOf` first.
 */
export function writeCompactPeer(
  peer: Address,
  target: Uint8Array,
  offset: number,
  family: IpFamily,
): number {
  const ipBytes = family === 'ipv4' ? IPV4_BYTES : IPV6_BYTES
  // Messages are built only on failure: trackers and the DHT encode peers in bulk.
  if (!writeIp(peer.host, target, offset, ipBytes)) {
    throw new LocalProtocolError(`${peer.host} is not an ${family} address`)
  }
  assert(Number.isInteger(peer.port) && peer.port >= 0 && peer.port <= 0xffff, 'bad port')
  writeUint16BE(target, offset + ipBytes, peer.port)
  return offset + ipBytes + 2
}

export function decodeCompactPeers(
  bytes: Uint8Array,
  family: IpFamily,
): Result<Address[], CompactError> {
  const size = compactPeerBytes(family)
  if (bytes.length % size !== 0) {
    const detail = `${bytes.length} bytes is not a multiple of ${size} (${family})`
    return err({ code: 'bad_compact_length', detail })
  }
  const peers: Address[] = []
  for (let at = 0; at < bytes.length; at += size) peers.push(readCompactPeer(bytes, at, family))
  return ok(peers)
}

export function encodeCompactPeers(peers: readonly Address[], family: IpFamily): Uint8Array {
  const out = new Uint8Array(peers.length * compactPeerBytes(family))
  let at = 0
  for (const peer of peers) at = writeCompactPeer(peer, out, at, family)
  return out
}

import { writeUint16BE } from '../../../core/bytes.js'
import type { IpFamily } from '../../../core/compact-peers.js'
import { ipToBytes } from '../../../core/ip-bytes.js'

/** A peer's address as the tables store it: compact form (IP then big-endian port). */
export interface PeerAddress {
  readonly family: IpFamily
  readonly addr: Uint8Array
}

const isMappedIpv4 = (ip: Uint8Array): boolean =>
  ip.length === 16 && ip.subarray(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff

/**
 * The compact address of `host`:`port`. An IPv4-mapped IPv6 literal (`::ffff:1.2.3.4`, what a
 * dual-stack socket reports for an IPv4 client) is IPv4: that client speaks IPv4, expects
 * 6-byte peers over BEP 15, and belongs with the IPv4 peers.
 */
export function peerAddress(host: string, port: number): PeerAddress | undefined {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) return undefined
  let ip = ipToBytes(host)
  if (ip === undefined) return undefined
  if (isMappedIpv4(ip)) ip = ip.subarray(12)
  const addr = new Uint8Array(ip.length + 2)
  addr.set(ip)
  writeUint16BE(addr, ip.length, port)
  return { family: ip.length === 4 ? 'ipv4' : 'ipv6', addr }
}

/** True for 127.0.0.0/8, ::1 and their mapped forms. */
export function isLoopbackAddress(address: PeerAddress): boolean {
  const a = address.addr
  if (address.family === 'ipv4') return a[0] === 127
  for (let i = 0; i < 15; i++) if (a[i] !== 0) return false
  return a[15] === 1
}

/** The same address with another port. */
export function withPort(address: PeerAddress, port: number): PeerAddress {
  const addr = address.addr.slice()
  writeUint16BE(addr, addr.length - 2, port)
  return { family: address.family, addr }
}

import type { Address } from '../../core/address.js'
import { isLoopback } from '../../core/address.js'
import type { UtpConfig } from '../../protocols/utp/config.js'
import { PACKET_BYTES_CEILING_DEFAULT, PACKET_BYTES_FLOOR_V6 } from '../../protocols/utp/pmtu.js'

/**
 * What the host knows of a path's MTU, for uTP's path MTU discovery. Both answers are UDP
 * payload sizes (the MTU less the IP and UDP headers).
 */
export interface PathMtuSource {
  /** The MTU of the local interface the route to `remote` leaves by; undefined if unknown. */
  ceiling(remote: Address): number | undefined
  /** The path MTU the host learned for `remote` (from ICMP "fragmentation needed"), if any. */
  learned(remote: Address, done: (packetBytes: number | undefined) => void): void
}

/** Ethernet's MTU: no interface's larger MTU (loopback's 65536, jumbo frames) is probed. */
export const ETHERNET_MTU = 1500
const IPV4_UDP_HEADERS = 28
const IPV6_UDP_HEADERS = 48

export const isV6 = (host: string): boolean => host.includes(':')

/** An IP MTU as the UDP payload it leaves, capped at Ethernet's. */
export const packetBytesOfMtu = (mtu: number, v6: boolean): number =>
  Math.min(mtu, ETHERNET_MTU) - (v6 ? IPV6_UDP_HEADERS : IPV4_UDP_HEADERS)

/**
 * The configuration of one connection to `remote`: the family's floor, and as ceiling the
 * interface's MTU when the source knows it (loopback's is capped like any), else Ethernet's.
 */
export function configFor(
  base: UtpConfig,
  remote: Address,
  source: PathMtuSource | undefined,
): UtpConfig {
  const v6 = isV6(remote.host)
  const known = isLoopback(remote.host)
    ? packetBytesOfMtu(ETHERNET_MTU, v6)
    : source?.ceiling(remote)
  const ceiling = Math.min(
    base.packetBytesCeiling,
    known ?? (v6 ? packetBytesOfMtu(ETHERNET_MTU, true) : PACKET_BYTES_CEILING_DEFAULT),
  )
  const floor = v6 ? Math.max(base.packetBytesFloor, PACKET_BYTES_FLOOR_V6) : base.packetBytesFloor
  if (ceiling === base.packetBytesCeiling && floor === base.packetBytesFloor) return base
  return { ...base, packetBytesFloor: floor, packetBytesCeiling: ceiling }
}

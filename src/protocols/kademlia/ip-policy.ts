/**
 * Address policy for the routing table: which subnet a host belongs to (nodes per /24 in IPv4,
 * per /64 in IPv6, the granularity an attacker pays for), and the BEP 42 id check.
 */
import { ipToBytes } from '../../core/ip-bytes.js'
import type { Id160 } from '../../core/id.js'
import { bep42Valid, isLocalAddress } from './bep42.js'
import type { RoutingConfig } from './config.js'

/** A string naming the host's /24 (IPv4) or /64 (IPv6); the host itself when not an IP. */
export function subnetOf(host: string): string {
  // Dotted quads are the hot path (checked per bucket entry): cut at the last dot.
  if (!host.includes(':')) return host.slice(0, host.lastIndexOf('.'))
  const ip = ipToBytes(host)
  if (ip === undefined) return host
  if (ip.length === 4) return `${ip[0]}.${ip[1]}.${ip[2]}`
  return Array.from(ip.subarray(0, 8), (b) => b.toString(16)).join(':')
}

/** True when the IP limits apply to `host` under `config`. */
export function ipLimited(host: string, config: RoutingConfig): boolean {
  return !config.exemptLocalFromIpLimits || !isLocalAddress(host)
}

/** True when `config` accepts `id` for `host` under BEP 42. */
export function idAcceptable(id: Id160, host: string, config: RoutingConfig): boolean {
  return !config.enforceBep42 || bep42Valid(id, host)
}

import { minutes, seconds, type Duration } from '../../core/time.js'
import { PeerPolicy } from './peer-policy.js'

/** A TURN server's policy. Every limit is per server instance. */
export interface TurnServerConfig {
  readonly realm: string
  /** The long-term key (MD5(user:realm:password)) of a user, or undefined for no such user. */
  readonly keyOf: (username: string) => Uint8Array | undefined
  /** The host relayed addresses are bound on (the driver picks the port). */
  readonly relayHost: string
  readonly peerPolicy: PeerPolicy
  readonly software?: string
  /** RFC 8656: 600 s unless the client asks for more, at most the maximum (3600 s). */
  readonly defaultLifetime: Duration
  readonly maxLifetime: Duration
  readonly permissionLifetime: Duration
  readonly channelLifetime: Duration
  /** A nonce is good for this long, then the client gets 438 Stale Nonce and a fresh one. */
  readonly nonceLifetime: Duration
  readonly allocationsPerUser: number
  readonly allocationsPerIp: number
  /** All allocations; beyond it 508 Insufficient Capacity. */
  readonly allocationsMax: number
  /** Bytes relayed per allocation, both ways; then the allocation is closed. */
  readonly bytesPerAllocation: number
  /** An allocation's whole life, refreshes included; then it is closed. */
  readonly allocationDurationMax: Duration
  /** Relayed bytes per second per allocation, both ways; excess datagrams are dropped. */
  readonly bytesPerSecond: number
}

export const DEFAULT_TURN_LIMITS = {
  defaultLifetime: minutes(10),
  maxLifetime: minutes(60),
  permissionLifetime: minutes(5),
  channelLifetime: minutes(10),
  nonceLifetime: minutes(10),
  allocationsPerUser: 10,
  allocationsPerIp: 10,
  allocationsMax: 1000,
  bytesPerAllocation: 1024 * 1024 * 1024,
  allocationDurationMax: seconds(24 * 3600),
  bytesPerSecond: 10 * 1024 * 1024,
} as const

export function turnServerConfig(
  required: Pick<TurnServerConfig, 'realm' | 'keyOf' | 'relayHost'> & Partial<TurnServerConfig>,
): TurnServerConfig {
  return { ...DEFAULT_TURN_LIMITS, peerPolicy: PeerPolicy.loopbackOnly(), ...required }
}

import type { Address } from '../../core/address.js'
import { pairPriority, TYPE_PREFERENCE, type CandidateType } from './candidate.js'

/**
 * TCP candidates (RFC 6544). A TCP candidate says how its end opens the connection:
 * - `active`: it connects out and never accepts; its port means nothing (sent as 9, section 4.5);
 * - `passive`: it listens and never connects out;
 * - `so`: simultaneous open, both ends connect to each other from fixed ports at once (RFC 9293
 *   section 3.5), which is what gets TCP through two NATs that keep the port.
 * Host candidates are gathered from the local addresses; server-reflexive ones from what a
 * STUN server saw of a connection from that port (an `so` candidate's mapping is the one that
 * matters: it is where the other end's SYN must go).
 */
export type TcpType = 'active' | 'passive' | 'so'
export const TCP_TYPES: readonly TcpType[] = ['active', 'passive', 'so']

export interface TcpCandidate {
  readonly type: Extract<CandidateType, 'host' | 'srflx' | 'prflx'>
  readonly tcpType: TcpType
  /** Active: the port is 9 (discard) on the wire and ignored (section 4.5). */
  readonly address: Address
  readonly priority: number
  readonly foundation: string
}

/** The port an active candidate is signalled with (RFC 6544 section 4.5). */
export const ACTIVE_PORT = 9

/**
 * Section 4.2: direction-pref (0-7, 7 best) by tcptype. Host candidates prefer active, then
 * passive, then S-O (no NAT in the way: a plain connection is the surest); reflexive ones
 * prefer S-O (a NAT is in the way, and only simultaneous open crosses it both ways).
 */
export function directionPreference(type: TcpCandidate['type'], tcpType: TcpType): number {
  const host = type === 'host'
  switch (tcpType) {
    case 'active':
      return host ? 6 : 4
    case 'passive':
      return host ? 4 : 2
    case 'so':
      return host ? 2 : 6
  }
}

const OTHER_PREFERENCE_MAX = 8191
const COMPONENT = 1
/**
 * RFC 6544 section 4.2 with RFC 8445's formula: local preference = 2^13 * direction-pref +
 * other-pref (other-pref orders the addresses, 8191 the best). UDP candidates of the same
 * type keep their 65,535, so an agent with both prefers UDP, as section 4.2 recommends.
 */
export function tcpCandidatePriority(
  type: TcpCandidate['type'],
  tcpType: TcpType,
  otherPreference = OTHER_PREFERENCE_MAX,
): number {
  const other = Math.max(0, Math.min(OTHER_PREFERENCE_MAX, Math.floor(otherPreference)))
  const local = 2 ** 13 * directionPreference(type, tcpType) + other
  return TYPE_PREFERENCE[type] * 2 ** 24 + local * 2 ** 8 + (256 - COMPONENT)
}

export function makeTcpCandidate(
  type: TcpCandidate['type'],
  tcpType: TcpType,
  address: Address,
  otherPreference?: number,
): TcpCandidate {
  return {
    type,
    tcpType,
    address: tcpType === 'active' ? { host: address.host, port: ACTIVE_PORT } : address,
    priority: tcpCandidatePriority(type, tcpType, otherPreference),
    foundation: `${type}-tcp-${tcpType}`,
  }
}

/**
 * Section 6.2: which local and remote tcptypes make a pair, and who opens the connection:
 * an active local end connects to a passive remote one, a passive local end waits for an
 * active remote one, and two S-O ends both connect. Anything else is no pair.
 */
export function tcpPairing(
  local: TcpType,
  remote: TcpType,
): 'connect' | 'accept' | 'simultaneous' | undefined {
  if (local === 'active' && remote === 'passive') return 'connect'
  if (local === 'passive' && remote === 'active') return 'accept'
  if (local === 'so' && remote === 'so') return 'simultaneous'
  return undefined
}

export interface TcpPair {
  readonly local: TcpCandidate
  readonly remote: TcpCandidate
  readonly open: 'connect' | 'accept' | 'simultaneous'
  /** RFC 8445 section 6.1.2.3, as for UDP pairs. */
  readonly priority: bigint
}

/**
 * The check list of TCP pairs, highest priority first: every local candidate with every
 * remote one whose tcptype pairs with it (section 6.2), same address family (IPv4 here), and
 * no two pairs alike (an active candidate's port is not part of what makes it distinct).
 */
export function tcpPairs(
  locals: readonly TcpCandidate[],
  remotes: readonly TcpCandidate[],
  controlling: boolean,
): TcpPair[] {
  const pairs: TcpPair[] = []
  const seen = new Set<string>()
  for (const local of locals) {
    for (const remote of remotes) {
      const open = tcpPairing(local.tcpType, remote.tcpType)
      if (open === undefined) continue
      const key = `${endKey(local)}>${endKey(remote)}`
      if (seen.has(key)) continue
      seen.add(key)
      const [g, d] = controlling
        ? [local.priority, remote.priority]
        : [remote.priority, local.priority]
      pairs.push({ local, remote, open, priority: pairPriority(g, d) })
    }
  }
  return pairs.sort((a, b) => (a.priority === b.priority ? 0 : a.priority > b.priority ? -1 : 1))
}

const endKey = (c: TcpCandidate): string =>
  `${c.tcpType}:${c.address.host}:${c.tcpType === 'active' ? ACTIVE_PORT : c.address.port}`

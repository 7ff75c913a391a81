import { addressKey, type Address } from '../../core/address.js'

/**
 * ICE candidates and pairs (RFC 8445 sections 5.1 and 6.1.2). One component (a single UDP
 * flow) per agent, so the component id is always 1.
 *
 * Each candidate has a base: where datagrams to and from it are actually sent. Host and
 * server-reflexive candidates share the agent's socket (`host` base); a relayed candidate's
 * datagrams go through the relay (`relay` base).
 */
export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay'
export type CandidateBase = 'host' | 'relay'

export interface Candidate {
  readonly type: CandidateType
  readonly address: Address
  readonly base: CandidateBase
  readonly priority: number
  /** Same type, base and server: same foundation (frozen together in full ICE). */
  readonly foundation: string
}

/** RFC 8445 section 5.1.2.2 recommended type preferences. */
export const TYPE_PREFERENCE: Readonly<Record<CandidateType, number>> = {
  host: 126,
  prflx: 110,
  srflx: 100,
  relay: 0,
}

const COMPONENT = 1
const LOCAL_PREFERENCE = 65535

/** priority = 2^24 * type preference + 2^8 * local preference + (256 - component id). */
export const candidatePriority = (
  type: CandidateType,
  localPreference = LOCAL_PREFERENCE,
): number => TYPE_PREFERENCE[type] * 2 ** 24 + localPreference * 2 ** 8 + (256 - COMPONENT)

export function makeCandidate(
  type: CandidateType,
  address: Address,
  base: CandidateBase,
): Candidate {
  return { type, address, base, priority: candidatePriority(type), foundation: `${type}-${base}` }
}

/**
 * Pair priority (section 6.1.2.3): 2^32 * min(G, D) + 2 * max(G, D) + (G > D ? 1 : 0), with G
 * the controlling agent's candidate priority. Exceeds 2^53, hence bigint.
 */
export function pairPriority(controlling: number, controlled: number): bigint {
  const g = BigInt(controlling)
  const d = BigInt(controlled)
  const [low, high] = g < d ? [g, d] : [d, g]
  return (low << 32n) + 2n * high + (g > d ? 1n : 0n)
}

/** A pair goes through a relay when either end is relayed: the "direct vs relayed" verdict. */
export const isRelayedPair = (local: Candidate, remote: Candidate): boolean =>
  local.type === 'relay' || remote.type === 'relay'

export const pairKey = (base: CandidateBase, remote: Address): string =>
  `${base}>${addressKey(remote)}`

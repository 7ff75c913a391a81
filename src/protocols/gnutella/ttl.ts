/**
 * TTL and hops per hop (GDF 0.6 section 2.2.1): a servent decrements TTL and increments hops
 * before forwarding, so TTL + hops stays what the originator set. A descriptor that arrives
 * claiming more than `ttlMax` in total is clamped to `ttlMax - hops` (TTL abuse: a peer must
 * not be able to buy a wider flood than everyone else).
 */
export const TTL_MAX_DEFAULT = 7

export interface Hop {
  /** TTL after clamping, as received (what we act on). */
  readonly ttl: number
  readonly hops: number
  /** True when the sender claimed more than ttlMax. */
  readonly clamped: boolean
}

export function clampTtl(ttl: number, hops: number, ttlMax: number): Hop {
  if (ttl + hops <= ttlMax) return { ttl, hops, clamped: false }
  return { ttl: Math.max(0, ttlMax - hops), hops, clamped: true }
}

/** The header of the copy we forward, or undefined when the descriptor's TTL is spent. */
export function nextHop(hop: Hop): { ttl: number; hops: number } | undefined {
  const ttl = hop.ttl - 1
  return ttl < 1 ? undefined : { ttl, hops: hop.hops + 1 }
}

import { elapsed, type Instant } from '../../../core/time.js'
import type { SwarmConfig } from './config.js'
import type { Peer } from './peer.js'

type EvictionConfig = Pick<SwarmConfig, 'evictHandshakingAfter' | 'evictIdleAfter'>

/**
 * Who makes room for a newcomer when the connection table is full: the oldest connection still
 * handshaking after `evictHandshakingAfter`, else the open peer idle longest if idle for
 * `evictIdleAfter`; undefined when every connection is young or useful. Dials still under way
 * are never victims: closing one frees a slot only by giving up a peer we chose to dial.
 * O(peers), only when the table is full.
 */
export function evictionVictim(
  peers: Iterable<Peer>,
  config: EvictionConfig,
  now: Instant,
): Peer | undefined {
  const { evictHandshakingAfter, evictIdleAfter } = config
  let silent: Peer | undefined
  let idle: Peer | undefined
  for (const peer of peers) {
    if (peer.phase === 'handshaking') {
      const waited = elapsed(peer.connectedAt, now) >= evictHandshakingAfter
      if (waited && (silent === undefined || peer.connectedAt < silent.connectedAt)) silent = peer
    } else if (peer.phase === 'open' && !peer.useful) {
      const since = peer.lastUsefulAt
      const long = elapsed(since, now) >= evictIdleAfter
      if (long && (idle === undefined || since < idle.lastUsefulAt)) idle = peer
    }
  }
  return silent ?? idle
}

/**
 * The earliest instant any connection of `peers` could become a victim: its handshake start
 * plus `evictHandshakingAfter`, or its last useful instant plus `evictIdleAfter`, over every
 * connection whether useful now or not. Both instants only move later (a handshaking peer
 * that opens is judged by the later one; `lastUsefulAt` only advances) and a connection added
 * later starts at or after now, so before this instant `evictionVictim` finds nobody: a full
 * table refusing newcomer after newcomer need not scan itself for each (in a 1,000-peer swarm,
 * 50,000 refusals in 4 virtual seconds, 3 % of the CPU).
 */
export function earliestVictimAt(
  peers: Iterable<Peer>,
  config: EvictionConfig,
  now: Instant,
): number {
  const { evictHandshakingAfter, evictIdleAfter } = config
  // Dials under way open at or after now.
  let earliest = now + evictHandshakingAfter
  for (const peer of peers) {
    if (peer.phase === 'handshaking') {
      earliest = Math.min(earliest, peer.connectedAt + evictHandshakingAfter)
    } else if (peer.phase === 'open') {
      earliest = Math.min(earliest, peer.lastUsefulAt + evictIdleAfter)
    }
  }
  return earliest
}

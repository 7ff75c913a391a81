import { elapsed, type Instant } from '../../../core/time.js'
import type { SwarmConfig } from './config.js'
import type { Peer } from './peer.js'

/**
 * Who makes room for a newcomer when the connection table is full: the oldest connection still
 * handshaking after `evictHandshakingAfter`, else the open peer idle longest if idle for
 * `evictIdleAfter`; undefined when every connection is young or useful. Dials still under way
 * are never victims: closing one frees a slot only by giving up a peer we chose to dial.
 * O(peers), only when the table is full.
 */
export function evictionVictim(
  peers: Iterable<Peer>,
  config: Pick<SwarmConfig, 'evictHandshakingAfter' | 'evictIdleAfter'>,
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

import type { Random } from '../../../core/random.js'
import { elapsed, type Duration, type Instant } from '../../../core/time.js'

/**
 * The optimistic unchoke (BEP 3): one slot given regardless of rate, so that peers with
 * nothing to offer yet get their first pieces and we discover faster partners. It rotates
 * every `optimisticInterval` (30 s, every third 10 s rechoke). Between rotations the current
 * optimistic peer keeps the slot while it stays eligible. Peers connected for less than
 * `newPeerWindow` are `newPeerWeight` times as likely to be drawn, as BEP 3 asks ("new
 * connections are three times as likely to start as the current optimistic unchoke as
 * anywhere else in the rotation"), to give them a chance to get a complete piece to trade.
 *
 * The draw is one `random.int(total weight)` over the pool sorted by peer id, so the same
 * candidates and the same random stream always give the same peer.
 */
export interface OptimisticPeer {
  readonly peer: number
  readonly connectedAt: Instant
}

export interface OptimisticOptions {
  readonly optimisticInterval: Duration
  readonly newPeerWindow: Duration
  readonly newPeerWeight: number
}

/** Whether this rechoke is an optimistic rotation. */
export function isRotationDue(
  now: Instant,
  lastOptimisticAt: Instant | undefined,
  interval: Duration,
): boolean {
  return lastOptimisticAt === undefined || elapsed(lastOptimisticAt, now) >= interval
}

/** A weighted random member of `pool` (sorted by id here), or undefined if it is empty. */
export function drawOptimistic(
  pool: readonly OptimisticPeer[],
  now: Instant,
  options: OptimisticOptions,
  random: Random,
): number | undefined {
  if (pool.length === 0) return undefined
  const sorted = [...pool].sort((a, b) => a.peer - b.peer)
  const weight = (c: OptimisticPeer): number =>
    elapsed(c.connectedAt, now) < options.newPeerWindow ? options.newPeerWeight : 1
  let total = 0
  for (const c of sorted) total += weight(c)
  let ticket = random.int(total)
  for (const c of sorted) {
    ticket -= weight(c)
    if (ticket < 0) return c.peer
  }
  return undefined
}

import { elapsed, type Duration, type Instant } from '../../../core/time.js'

/**
 * The orders in which peers earn regular unchoke slots, as total orders (the peer id breaks
 * every tie, so no decision ever depends on sort stability or input order).
 *
 * Leeching: tit-for-tat (BEP 3, libtorrent's `compare_peers`): the fastest uploaders to us
 * first; among equal rates (most often 0: a leecher hears from only the few peers that
 * unchoke it), peers that have ever sent us a byte before peers that never did, so a free
 * rider cannot hold a regular slot against a past contributor on peer-id order or on being
 * unchoked first; then peers already unchoked first, so slots do not flap between peers of
 * the same standing.
 *
 * Seeding: libtorrent's `round_robin` seed choking (`unchoke_compare_rr`). A seed gets
 * nothing back, so rates to us mean nothing; instead peers already unchoked keep their slot
 * (ranked by our upload rate to them) until they have been served a quota: unchoked for
 * `seedingSlotMin` and sent more than `seedingQuotaBytes` since. Then they drop behind
 * every peer still owed service, and among those waiting, the one unchoked longest ago (or
 * never) goes first. Over successive rechokes every interested peer is served.
 */
export interface RankedPeer {
  readonly peer: number
  readonly amChoking: boolean
  readonly downloadRateFromPeer: number
  /** Every payload byte this peer has sent us on this connection (0: it never uploaded). */
  readonly downloadedFromPeerBytes?: number
  readonly uploadRateToPeer: number
  readonly lastUnchokedAt?: Instant
  readonly uploadedSinceUnchokeBytes?: number
}

export interface SeedingQuota {
  /** libtorrent: `seeding_piece_quota` (20) of the torrent's pieces, in bytes. */
  readonly seedingQuotaBytes: number
  /** libtorrent: one minute. */
  readonly seedingSlotMin: Duration
}

export function compareLeeching(a: RankedPeer, b: RankedPeer): number {
  return (
    b.downloadRateFromPeer - a.downloadRateFromPeer ||
    Number(hasUploaded(b)) - Number(hasUploaded(a)) ||
    Number(a.amChoking) - Number(b.amChoking) ||
    a.peer - b.peer
  )
}

const hasUploaded = (c: RankedPeer): boolean => (c.downloadedFromPeerBytes ?? 0) > 0

export function compareSeeding(
  now: Instant,
  quota: SeedingQuota,
): (a: RankedPeer, b: RankedPeer) => number {
  const served = (c: RankedPeer): number => {
    if (c.amChoking || c.lastUnchokedAt === undefined) return 0
    const sent = c.uploadedSinceUnchokeBytes ?? 0
    const long = elapsed(c.lastUnchokedAt, now) >= quota.seedingSlotMin
    return sent > quota.seedingQuotaBytes && long ? 1 : 0
  }
  // A peer we just choked may still show residual upload; only unchoked peers have a rate.
  const rate = (c: RankedPeer): number => (c.amChoking ? 0 : c.uploadRateToPeer)
  return (a, b) =>
    served(a) - served(b) ||
    rate(b) - rate(a) ||
    compareUnchokedAt(a.lastUnchokedAt, b.lastUnchokedAt) ||
    a.peer - b.peer
}

/** Never unchoked first, then the longest ago. */
function compareUnchokedAt(a: Instant | undefined, b: Instant | undefined): number {
  if (a === b) return 0
  if (a === undefined) return -1
  if (b === undefined) return 1
  return a - b
}

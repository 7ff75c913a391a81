/**
 * A read-only listing of what other nodes stored on us: the swarms announced to us (BEP 5
 * announce_peer, BEP 33 seeds) and the BEP 44 items put on us. For the dashboard's DHT view.
 * Bounded: the `max` most recently stored of each, newest first, so a full store (thousands
 * of info-hashes) never turns into a huge response; the totals say how many there are.
 */
import { toHex as bytesToHex } from '../../core/bytes.js'
import { encode } from '../../core/codec/bencode.js'
import type { Instant } from '../../core/time.js'
import type { ItemStore } from './items.js'
import type { PeerStore } from './peer-store.js'

/** How many swarms and items a listing shows unless told otherwise. */
export const STORED_LISTING_MAX = 200

export interface StoredSwarm {
  /** Lowercase hex. */
  readonly infoHash: string
  /** Live peers held, seeds included. */
  readonly peers: number
  /** BEP 33: peers that announced with seed=1. */
  readonly seeds: number
  readonly oldestAnnounceMsAgo: number
  readonly newestAnnounceMsAgo: number
}

export interface StoredItemSummary {
  /** Lowercase hex. */
  readonly target: string
  readonly mutable: boolean
  /** Mutable items: the ed25519 public key, lowercase hex. */
  readonly publicKey?: string
  /** Mutable items: the sequence number. */
  readonly seq?: number
  /** Mutable items with a salt: its length in bytes. */
  readonly saltBytes?: number
  /** The bencoded value's length. */
  readonly valueBytes: number
  /** Since the last put of this target. */
  readonly storedMsAgo: number
}

export interface StoredListing {
  /** Newest announce first, at most `max`. */
  readonly swarms: readonly StoredSwarm[]
  /** Swarms held in all. */
  readonly swarmsTotal: number
  /** Newest put first, at most `max`. */
  readonly items: readonly StoredItemSummary[]
  /** Items held in all. */
  readonly itemsTotal: number
}

export function listStored(
  now: Instant,
  peers: PeerStore,
  items: ItemStore,
  max: number = STORED_LISTING_MAX,
): StoredListing {
  const swarms: StoredSwarm[] = []
  for (const swarm of peers.swarmsHeld(now)) {
    let oldest = Infinity
    let newest = -Infinity
    let seeds = 0
    for (const peer of swarm.peers) {
      oldest = Math.min(oldest, peer.announcedAt)
      newest = Math.max(newest, peer.announcedAt)
      if (peer.seed) seeds++
    }
    swarms.push({
      infoHash: swarm.infoHash,
      peers: swarm.peers.length,
      seeds,
      oldestAnnounceMsAgo: Math.max(0, now - oldest),
      newestAnnounceMsAgo: Math.max(0, now - newest),
    })
  }
  const stored: StoredItemSummary[] = []
  for (const { target, item, storedAt } of items.itemsHeld(now)) {
    const storedMsAgo = Math.max(0, now - storedAt)
    const valueBytes = encode(item.value).length
    stored.push(
      item.k === undefined
        ? { target, mutable: false, valueBytes, storedMsAgo }
        : {
            target,
            mutable: true,
            publicKey: bytesToHex(item.k),
            ...(item.seq === undefined ? {} : { seq: item.seq }),
            ...(item.salt === undefined ? {} : { saltBytes: item.salt.length }),
            valueBytes,
            storedMsAgo,
          },
    )
  }
  // Ties (stored in the same millisecond) fall back to the hex key, so the order is stable.
  swarms.sort(
    (a, b) => a.newestAnnounceMsAgo - b.newestAnnounceMsAgo || a.infoHash.localeCompare(b.infoHash),
  )
  stored.sort((a, b) => a.storedMsAgo - b.storedMsAgo || a.target.localeCompare(b.target))
  return {
    swarms: swarms.slice(0, max),
    swarmsTotal: swarms.length,
    items: stored.slice(0, max),
    itemsTotal: stored.length,
  }
}

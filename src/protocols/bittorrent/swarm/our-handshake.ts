/**
 * What our BEP 3 handshake says: the reserved bits we support and the info-hash we name. A
 * hybrid (BEP 52) names itself by its v1 hash with the upgrade bit set, and answers a peer that
 * named its v1 hash with that bit set by the truncated v2 hash (the upgrade), as libtorrent
 * does. That answer is also the one libtorrent always accepts: a libtorrent that dialled us
 * with the v1 hash and meanwhile heard of us under the v2 hash (its two announces race)
 * expects the v2 one, and drops a connection answered with v1 as "invalid info-hash".
 */
import { equalBytes } from '../../../core/bytes.js'
import type { Id160 } from '../../../core/id.js'
import {
  DHT_BIT,
  EXTENSION_PROTOCOL_BIT,
  FAST_EXTENSION_BIT,
  offersV2Upgrade,
  reservedWith,
  V2_UPGRADE_BIT,
  type Handshake,
} from '../wire/index.js'

const BITS = [FAST_EXTENSION_BIT, EXTENSION_PROTOCOL_BIT]
/** Indexed by [DHT on][offering the v2 upgrade]. */
const RESERVED = [
  [reservedWith(BITS), reservedWith([...BITS, V2_UPGRADE_BIT])],
  [reservedWith([...BITS, DHT_BIT]), reservedWith([...BITS, DHT_BIT, V2_UPGRADE_BIT])],
] as const

export interface OurHandshake {
  readonly reserved: Uint8Array
  readonly infoHash: Id160
}

/**
 * `swarmHashes`: the torrent's (v1 then truncated v2 for a hybrid). `answering`: the peer's
 * handshake when we answer one, undefined when we speak first (we dialled, or a v1 or v2-only
 * swarm greeting an accepted connection at once).
 */
export function ourHandshake(
  swarmHashes: readonly Id160[],
  dhtOn: boolean,
  answering?: Handshake,
): OurHandshake {
  const [first, v2] = swarmHashes as [Id160, Id160 | undefined]
  let infoHash = first
  if (answering !== undefined && v2 !== undefined) {
    infoHash = offersV2Upgrade(answering.reserved) ? v2 : answering.infoHash
  }
  const offersUpgrade = v2 !== undefined && equalBytes(infoHash, first)
  return { reserved: RESERVED[dhtOn ? 1 : 0][offersUpgrade ? 1 : 0], infoHash }
}

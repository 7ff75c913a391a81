/**
 * Peers announced to us (announce_peer), per info-hash, each expiring `ttl` after its last
 * announce. Bounded in peers per info-hash, in info-hashes, and per source address and prefix
 * (see SourceLedger), so that announces can neither grow memory without limit nor flush what
 * others announced:
 *
 * - A source or prefix that holds its share of peers is refused (the announce answers 202).
 * - A new info-hash when the table is full takes the room of a swarm created by the prefix
 *   that created the most, preferring swarms never re-announced and, among those, the newest;
 *   when no prefix holds more than the newcomer's, the announce is refused.
 * - A full swarm makes room by dropping the oldest peer of the prefix with the most peers in
 *   it, the newcomer counted (the oldest peer overall when every prefix has one), so one prefix
 *   cannot crowd out others.
 */
import { addressKey, type Address } from '../../core/address.js'
import { fromHex } from '../../core/bytes.js'
import type { IpFamily } from '../../core/compact-peers.js'
import { ipFamilyOf } from '../../core/compact-peers.js'
import { toHex, type Id160 } from '../../core/id.js'
import { after, type Duration, type Instant } from '../../core/time.js'
import { lastStored, lessWorthKeeping } from './items.js'
import { SourceLedger, type Owner, type StorageQuota } from './source-ledger.js'

interface PeerEntry {
  readonly address: Address
  readonly owner: Owner
  expires: Instant
  /** BEP 33: announced with seed=1 (updated by every re-announce). */
  seed: boolean
}

export interface PeersWanted {
  /** BEP 32: only peers of this family (a reply carries its transport's family only). */
  readonly family?: IpFamily
  /** BEP 33 `noseed`: leechers first, seeds only to fill the rest. */
  readonly noseed?: boolean
}

interface Swarm {
  /** addressKey -> peer; insertion order is announce order (a re-announce moves it last). */
  readonly peers: Map<string, PeerEntry>
  readonly owner: Owner
  readonly created: Instant
  /** Announces to this swarm after the one that created it. */
  refreshes: number
}

/** The empty store every PeerStore starts with (never written: `announce` makes its own). */
const NO_SWARMS: Map<string, Swarm> = new Map()

export class PeerStore {
  /** NO_SWARMS until the first announce: most simulated nodes never hold one. */
  private swarms: Map<string, Swarm> = NO_SWARMS
  /** Peer entries, keyed `infohash|addressKey`. */
  private readonly peerLedger: SourceLedger
  /** Swarms, keyed by info-hash, owned by the source that created them. */
  private readonly swarmLedger: SourceLedger

  constructor(
    private readonly ttl: Duration,
    private readonly perInfoHashMax: number,
    private readonly infoHashesMax: number,
    quota: StorageQuota,
  ) {
    this.peerLedger = new SourceLedger(quota)
    this.swarmLedger = new SourceLedger(quota)
  }

  /** Stores (or refreshes) `peer` for `infoHash`; false when refused (quota or no room). */
  announce(now: Instant, infoHash: Id160, peer: Address, owner: Owner, seed = false): boolean {
    const key = toHex(infoHash)
    const peerKey = addressKey(peer)
    let swarm = this.swarms.get(key)
    const existing = swarm?.peers.get(peerKey)
    if (swarm !== undefined && existing !== undefined) {
      swarm.peers.delete(peerKey)
      if (existing.expires > now) {
        existing.expires = after(now, this.ttl)
        existing.seed = seed
        swarm.peers.set(peerKey, existing)
        swarm.refreshes++
        return true
      }
      this.peerLedger.remove(existing.owner, `${key}|${peerKey}`)
    }
    if (!this.peerLedger.admits(owner)) return false
    if (swarm === undefined) {
      if (this.swarms.size >= this.infoHashesMax && !this.evictSwarmFor(owner)) return false
      swarm = { peers: new Map(), owner, created: now, refreshes: 0 }
      if (this.swarms === NO_SWARMS) this.swarms = new Map()
      this.swarms.set(key, swarm)
      this.swarmLedger.add(owner, key)
    } else {
      swarm.refreshes++
    }
    if (swarm.peers.size >= this.perInfoHashMax) this.dropPeerFor(key, swarm, owner)
    swarm.peers.set(peerKey, { address: peer, owner, expires: after(now, this.ttl), seed })
    this.peerLedger.add(owner, `${key}|${peerKey}`)
    return true
  }

  private evictSwarmFor(owner: Owner): boolean {
    const prefix = this.swarmLedger.evictionPrefix(owner)
    if (prefix === undefined) return false
    let victim: [string, Swarm] | undefined
    for (const key of this.swarmLedger.keysOf(prefix)) {
      const swarm = this.swarms.get(key)
      if (swarm === undefined) continue
      if (victim === undefined || lessWorthKeeping(swarm, victim[1])) victim = [key, swarm]
    }
    if (victim === undefined) return false
    this.dropSwarm(victim[0], victim[1])
    return true
  }

  /** Makes room in a full swarm for a peer of `owner` (see the class comment). */
  private dropPeerFor(key: string, swarm: Swarm, owner: Owner): void {
    const perPrefix = new Map<string, number>()
    for (const entry of swarm.peers.values()) {
      perPrefix.set(entry.owner.prefix, (perPrefix.get(entry.owner.prefix) ?? 0) + 1)
    }
    // The newcomer counts with its prefix: a prefix flooding a swarm displaces itself.
    let crowded = owner.prefix
    let most = (perPrefix.get(owner.prefix) ?? 0) + 1
    for (const [prefix, count] of perPrefix) {
      if (count > most) [crowded, most] = [prefix, count]
    }
    for (const [peerKey, entry] of swarm.peers) {
      // Even prefixes (one peer each): the oldest goes, as peers rotate through a swarm.
      if (most > 1 && entry.owner.prefix !== crowded) continue
      swarm.peers.delete(peerKey)
      this.peerLedger.remove(entry.owner, `${key}|${peerKey}`)
      return
    }
  }

  private dropSwarm(key: string, swarm: Swarm): void {
    for (const [peerKey, entry] of swarm.peers) {
      this.peerLedger.remove(entry.owner, `${key}|${peerKey}`)
    }
    this.swarms.delete(key)
    this.swarmLedger.remove(swarm.owner, key)
  }

  /** Up to `max` live peers for `infoHash`, most recently announced first. */
  peers(now: Instant, infoHash: Id160, max: number, wanted: PeersWanted = {}): Address[] {
    const swarm = this.swarms.get(toHex(infoHash))
    if (swarm === undefined) return []
    const out: Address[] = []
    const seeds: Address[] = []
    for (const entry of [...swarm.peers.values()].reverse()) {
      if (entry.expires <= now) continue
      if (wanted.family !== undefined && ipFamilyOf(entry.address.host) !== wanted.family) continue
      if (wanted.noseed === true && entry.seed) {
        if (seeds.length < max) seeds.push(entry.address)
        continue
      }
      out.push(entry.address)
      if (out.length >= max) break
    }
    for (const seed of seeds) if (out.length < max) out.push(seed)
    return out
  }

  /** BEP 33: the live entries of a swarm split into seeds and the rest; undefined when none. */
  scrape(
    now: Instant,
    infoHash: Id160,
  ): { readonly seeds: readonly Address[]; readonly peers: readonly Address[] } | undefined {
    const swarm = this.swarms.get(toHex(infoHash))
    if (swarm === undefined) return undefined
    const seeds: Address[] = []
    const peers: Address[] = []
    for (const entry of swarm.peers.values()) {
      if (entry.expires > now) (entry.seed ? seeds : peers).push(entry.address)
    }
    return seeds.length + peers.length === 0 ? undefined : { seeds, peers }
  }

  /**
   * Each swarm with its live peers' last announce instants and seed flags, read only (the
   * dashboard's listing of what others stored on us; see stored-listing.ts).
   */
  *swarmsHeld(now: Instant): Generator<{
    readonly infoHash: string
    readonly peers: readonly { readonly announcedAt: Instant; readonly seed: boolean }[]
  }> {
    for (const [infoHash, swarm] of this.swarms) {
      const peers = [...swarm.peers.values()]
        .filter((entry) => entry.expires > now)
        .map((entry) => ({ announcedAt: lastStored(entry.expires, this.ttl), seed: entry.seed }))
      if (peers.length > 0) yield { infoHash, peers }
    }
  }

  /** Every info-hash held (BEP 51 samples from it). */
  infoHashList(): Id160[] {
    return [...this.swarms.keys()].map((key) => fromHex(key) as Id160)
  }

  /** Drops expired peers and empty swarms. */
  expire(now: Instant): void {
    for (const [key, swarm] of this.swarms) {
      for (const [peerKey, entry] of swarm.peers) {
        if (entry.expires > now) continue
        swarm.peers.delete(peerKey)
        this.peerLedger.remove(entry.owner, `${key}|${peerKey}`)
      }
      if (swarm.peers.size === 0) this.dropSwarm(key, swarm)
    }
  }

  get infoHashes(): number {
    return this.swarms.size
  }

  get size(): number {
    let total = 0
    for (const swarm of this.swarms.values()) total += swarm.peers.size
    return total
  }
}

/**
 * Peers announced to us (announce_peer), per info-hash, each expiring `ttl` after its last
 * announce. Bounded per info-hash and in info-hashes: beyond a cap the oldest entry goes, so
 * announces cannot grow memory without limit.
 */
import { addressKey, type Address } from '../../core/address.js'
import { toHex, type Id160 } from '../../core/id.js'
import { after, type Duration, type Instant } from '../../core/time.js'

interface Swarm {
  /** addressKey -> peer and expiry; insertion order is announce order (re-announce moves it). */
  readonly peers: Map<string, { readonly address: Address; expires: Instant }>
}

export class PeerStore {
  private readonly swarms = new Map<string, Swarm>()

  constructor(
    private readonly ttl: Duration,
    private readonly perInfoHashMax: number,
    private readonly infoHashesMax: number,
  ) {}

  announce(now: Instant, infoHash: Id160, peer: Address): void {
    const key = toHex(infoHash)
    let swarm = this.swarms.get(key)
    if (swarm === undefined) {
      if (this.swarms.size >= this.infoHashesMax) {
        const oldest = this.swarms.keys().next()
        if (oldest.done !== true) this.swarms.delete(oldest.value)
      }
      swarm = { peers: new Map() }
      this.swarms.set(key, swarm)
    }
    const peerKey = addressKey(peer)
    swarm.peers.delete(peerKey)
    swarm.peers.set(peerKey, { address: peer, expires: after(now, this.ttl) })
    if (swarm.peers.size > this.perInfoHashMax) {
      const oldest = swarm.peers.keys().next()
      if (oldest.done !== true) swarm.peers.delete(oldest.value)
    }
  }

  /** Up to `max` live peers for `infoHash`, most recently announced first. */
  peers(now: Instant, infoHash: Id160, max: number): Address[] {
    const swarm = this.swarms.get(toHex(infoHash))
    if (swarm === undefined) return []
    const out: Address[] = []
    for (const entry of [...swarm.peers.values()].reverse()) {
      if (entry.expires <= now) continue
      out.push(entry.address)
      if (out.length >= max) break
    }
    return out
  }

  /** Drops expired peers and empty swarms. */
  expire(now: Instant): void {
    for (const [key, swarm] of this.swarms) {
      for (const [peerKey, entry] of swarm.peers)
        if (entry.expires <= now) swarm.peers.delete(peerKey)
      if (swarm.peers.size === 0) this.swarms.delete(key)
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

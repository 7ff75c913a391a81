import { isIPv4, isLoopback } from '../../../core/address.js'
import { toHex } from '../../../core/bytes.js'
import { dictOf, encode, type BEncodable } from '../../../core/codec/bencode.js'
import type { Random } from '../../../core/random.js'
import { after, type Duration, type Instant, seconds } from '../../../core/time.js'
import { encodeCompactPeers } from '../../../core/compact-peers.js'
import type { AnnounceQuery } from './query.js'

/**
 * A minimal in-memory BitTorrent tracker (BEP 3 announce, BEP 23 compact, BEP 7 peers6): the
 * swarms, who is in them, and the bencoded replies. Sans-IO: the HTTP driver hands it parsed
 * queries with the requester's address and `now`. It stands in for the directory server (which
 * adds the index, UDP and scrape) so that the demo and tests have a tracker on loopback.
 */
export interface TrackerConfig {
  readonly interval: Duration
  readonly minInterval: Duration
  /** A peer missing this many intervals is dropped. */
  readonly expiryIntervals: number
  readonly numwantDefault: number
  readonly numwantMax: number
  readonly swarmsMax: number
  readonly peersPerSwarmMax: number
}

export const DEFAULT_TRACKER_CONFIG: TrackerConfig = {
  interval: seconds(120),
  minInterval: seconds(30),
  expiryIntervals: 2,
  numwantDefault: 50,
  numwantMax: 200,
  swarmsMax: 100_000,
  peersPerSwarmMax: 10_000,
}

interface PeerEntry {
  readonly host: string
  readonly port: number
  left: number
  expiresAt: Instant
}

interface Swarm {
  readonly peers: Map<string, PeerEntry>
  completed: number
}

export interface SwarmStats {
  readonly complete: number
  readonly incomplete: number
  readonly downloaded: number
}

export class TrackerRegistry {
  private readonly swarms = new Map<string, Swarm>()

  constructor(
    private readonly random: Random,
    private readonly config: TrackerConfig = DEFAULT_TRACKER_CONFIG,
  ) {}

  /** Handles one announce from `remoteHost`; returns the bencoded reply body. */
  announce(now: Instant, query: AnnounceQuery, remoteHost: string): Uint8Array {
    const key = toHex(query.infoHash)
    let swarm = this.swarms.get(key)
    if (swarm === undefined) {
      if (this.swarms.size >= this.config.swarmsMax) return failure('tracker is full')
      swarm = { peers: new Map(), completed: 0 }
      this.swarms.set(key, swarm)
    }
    this.expire(now, swarm)
    // The `ip` parameter is honoured only from loopback (a local demo announcing for others);
    // elsewhere it would let anyone point a swarm at a third party.
    const host = query.ip !== undefined && isLoopback(remoteHost) ? query.ip : remoteHost
    const peerKey = toHex(query.peerId)
    if (query.event === 'stopped') {
      swarm.peers.delete(peerKey)
      return this.reply(swarm, [])
    }
    const known = swarm.peers.get(peerKey)
    if (query.event === 'completed' && known !== undefined && known.left > 0) swarm.completed++
    const expiresAt = after(now, (this.config.interval * this.config.expiryIntervals) as Duration)
    if (known === undefined && swarm.peers.size >= this.config.peersPerSwarmMax) {
      return failure('swarm is full')
    }
    swarm.peers.set(peerKey, { host, port: query.port, left: query.left, expiresAt })
    const wanted = Math.min(query.numwant ?? this.config.numwantDefault, this.config.numwantMax)
    const others = [...swarm.peers.entries()].filter(([id]) => id !== peerKey)
    return this.reply(swarm, this.sample(others, wanted))
  }

  stats(infoHash: Uint8Array): SwarmStats {
    const swarm = this.swarms.get(toHex(infoHash))
    if (swarm === undefined) return { complete: 0, incomplete: 0, downloaded: 0 }
    let complete = 0
    for (const peer of swarm.peers.values()) if (peer.left === 0) complete++
    return { complete, incomplete: swarm.peers.size - complete, downloaded: swarm.completed }
  }

  private expire(now: Instant, swarm: Swarm): void {
    for (const [id, peer] of swarm.peers) if (peer.expiresAt <= now) swarm.peers.delete(id)
  }

  /** A uniform sample of `count` entries (partial Fisher-Yates). */
  private sample(entries: [string, PeerEntry][], count: number): PeerEntry[] {
    const n = Math.min(count, entries.length)
    for (let i = 0; i < n; i++) {
      const j = i + this.random.int(entries.length - i)
      const swap = entries[i] as [string, PeerEntry]
      entries[i] = entries[j] as [string, PeerEntry]
      entries[j] = swap
    }
    return entries.slice(0, n).map(([, peer]) => peer)
  }

  private reply(swarm: Swarm, peers: PeerEntry[]): Uint8Array {
    let complete = 0
    for (const peer of swarm.peers.values()) if (peer.left === 0) complete++
    const v4 = peers.filter((p) => isIPv4(p.host)).map((p) => ({ host: p.host, port: p.port }))
    const v6 = peers.filter((p) => !isIPv4(p.host)).map((p) => ({ host: p.host, port: p.port }))
    const fields: Record<string, BEncodable | undefined> = {
      interval: this.config.interval / 1000,
      'min interval': this.config.minInterval / 1000,
      complete,
      incomplete: swarm.peers.size - complete,
      downloaded: swarm.completed,
      peers: encodeCompactPeers(v4, 'ipv4'),
      peers6: v6.length > 0 ? encodeCompactPeers(v6, 'ipv6') : undefined,
    }
    return encode(dictOf(fields))
  }
}

export function failure(reason: string): Uint8Array {
  return encode(dictOf({ 'failure reason': reason }))
}

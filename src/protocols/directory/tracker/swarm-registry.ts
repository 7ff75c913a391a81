/**
 * Every swarm the tracker knows: per info-hash one `PeerTable` per address family and a
 * `completed` counter. Sans-IO and transport-free: the HTTP and UDP front ends turn requests
 * into `PeerAnnounce`s and the answers back into bytes.
 */
import { keyFromBytes } from '../../../core/codec/bencode.js'
import type { IpFamily } from '../../../core/compact-peers.js'
import type { Random } from '../../../core/random.js'
import { err, ok, type Result } from '../../../core/result.js'
import type { Instant } from '../../../core/time.js'
import type { TrackerConfig } from './config.js'
import { FLAG_COMPLETED_COUNTED, PEER_ID_BYTES, PeerTable } from './peer-table.js'
import { sampleDistinct } from './sample.js'

export type PeerEvent = 'none' | 'started' | 'completed' | 'stopped'

export interface PeerAnnounce {
  readonly infoHash: Uint8Array
  readonly peerId: Uint8Array
  readonly family: IpFamily
  /** The compact address (IP then port): 6 bytes for IPv4, 18 for IPv6. */
  readonly addr: Uint8Array
  /** `left` was 0. */
  readonly seeder: boolean
  readonly event: PeerEvent
  /** Already capped by the front end. */
  readonly numWant: number
  /** HTTP answers carry both families (BEP 7); a BEP 15 answer only the request's. */
  readonly families: 'same' | 'both'
  /** Copy peer ids too (HTTP non-compact answers). */
  readonly withPeerIds: boolean
}

export interface SwarmCounts {
  readonly seeders: number
  readonly leechers: number
  /** Peers that announced `completed` (BEP 48 `downloaded`). */
  readonly completed: number
}

/** Peers chosen for one answer, in compact form, with their ids when asked for. */
export interface SelectedPeers {
  readonly count: number
  readonly addrs: Uint8Array
  readonly ids: Uint8Array
}

export interface AnnounceAnswer extends SwarmCounts {
  readonly ipv4: SelectedPeers
  readonly ipv6: SelectedPeers
}

export interface TrackerTotals {
  readonly torrents: number
  readonly peers: number
  readonly seeders: number
  readonly leechers: number
}

interface Swarm {
  ipv4: PeerTable | undefined
  ipv6: PeerTable | undefined
  completed: number
}

const ADDR_BYTES: Readonly<Record<IpFamily, number>> = { ipv4: 6, ipv6: 18 }
const NO_PEERS: SelectedPeers = { count: 0, addrs: new Uint8Array(0), ids: new Uint8Array(0) }
const UINT32_MAX = 0xffffffff

const hashKey = (infoHash: Uint8Array): string => keyFromBytes(infoHash)
const hashBytes = (key: string): Uint8Array => Uint8Array.from(key, (c) => c.charCodeAt(0))

export class SwarmRegistry {
  private readonly swarms = new Map<string, Swarm>()
  private readonly allowed = new Set<string>()
  private readonly changed = new Set<string>()
  private readonly hashSeed: number
  private peerCount = 0
  private readonly expirySeconds: number

  constructor(
    private readonly config: TrackerConfig,
    private readonly random: Random,
  ) {
    this.hashSeed = random.int(UINT32_MAX)
    this.expirySeconds = Math.ceil((config.interval * 2 + config.expiryGrace) / 1000)
  }

  announce(request: PeerAnnounce, now: Instant): Result<AnnounceAnswer, string> {
    const key = hashKey(request.infoHash)
    let swarm = this.swarms.get(key)
    if (swarm === undefined) {
      if (this.config.allowListOnly) return err('unregistered torrent')
      if (request.event === 'stopped') return ok(answer({ seeders: 0, leechers: 0, completed: 0 }))
      if (this.swarms.size >= this.config.swarmsMax) return err('tracker is full')
      swarm = { ipv4: undefined, ipv6: undefined, completed: 0 }
      this.swarms.set(key, swarm)
    }
    let table = swarm[request.family]
    let record = table === undefined ? -1 : table.find(request.peerId, request.addr)
    if (request.event === 'stopped') {
      if (table !== undefined && record >= 0) {
        table.remove(record)
        this.peerCount--
        this.changed.add(key)
      }
      return ok(answer(countsOfSwarm(swarm)))
    }
    const deadline = Math.min(UINT32_MAX, Math.floor(now / 1000) + this.expirySeconds)
    if (table === undefined || record < 0) {
      const swarmPeers = (swarm.ipv4?.size ?? 0) + (swarm.ipv6?.size ?? 0)
      if (this.peerCount >= this.config.peersMax || swarmPeers >= this.config.peersPerSwarmMax) {
        return err('tracker is full')
      }
      table ??= swarm[request.family] = new PeerTable(ADDR_BYTES[request.family], this.hashSeed)
      record = table.insert(request.peerId, request.addr, request.seeder, deadline)
      this.peerCount++
      this.changed.add(key)
    } else {
      table.setDeadline(record, deadline)
      if (table.isSeeder(record) !== request.seeder) {
        record = table.setSeeder(record, request.seeder)
        this.changed.add(key)
      }
    }
    const flags = table.flags(record)
    if (request.event === 'completed' && request.seeder && !(flags & FLAG_COMPLETED_COUNTED)) {
      table.setFlags(record, flags | FLAG_COMPLETED_COUNTED)
      swarm.completed++
      this.changed.add(key)
    }
    return ok(this.select(swarm, request, table, record))
  }

  /** Undefined when the info-hash is neither tracked nor allowed. */
  countsOf(infoHash: Uint8Array): SwarmCounts | undefined {
    const swarm = this.swarms.get(hashKey(infoHash))
    return swarm === undefined ? undefined : countsOfSwarm(swarm)
  }

  /** Private mode: lets the info-hash be tracked (its swarm exists from now on). */
  allow(infoHash: Uint8Array): void {
    const key = hashKey(infoHash)
    this.allowed.add(key)
    if (!this.swarms.has(key))
      this.swarms.set(key, { ipv4: undefined, ipv6: undefined, completed: 0 })
  }

  /** Stops tracking the info-hash and forgets its swarm. */
  disallow(infoHash: Uint8Array): void {
    const key = hashKey(infoHash)
    this.allowed.delete(key)
    const swarm = this.swarms.get(key)
    if (swarm === undefined) return
    this.peerCount -= (swarm.ipv4?.size ?? 0) + (swarm.ipv6?.size ?? 0)
    this.swarms.delete(key)
    this.changed.add(key)
  }

  isAllowed(infoHash: Uint8Array): boolean {
    return !this.config.allowListOnly || this.allowed.has(hashKey(infoHash))
  }

  /**
   * Restores a `completed` counter the index persisted (after a restart). Creates the swarm
   * when allowed; ignored in private mode for an info-hash that is not allowed.
   */
  setCompleted(infoHash: Uint8Array, completed: number): void {
    const key = hashKey(infoHash)
    let swarm = this.swarms.get(key)
    if (swarm === undefined) {
      if (this.config.allowListOnly || this.swarms.size >= this.config.swarmsMax) return
      swarm = { ipv4: undefined, ipv6: undefined, completed: 0 }
      this.swarms.set(key, swarm)
    }
    swarm.completed = Math.max(0, Math.floor(completed))
    this.changed.add(key)
  }

  /**
   * Drops peers past their deadline. An emptied swarm releases its tables; it is forgotten
   * unless it is allowed (private mode) or has a `completed` count worth keeping.
   */
  sweep(now: Instant): number {
    const nowSeconds = Math.floor(now / 1000)
    let removed = 0
    for (const [key, swarm] of this.swarms) {
      const before = removed
      for (const family of ['ipv4', 'ipv6'] as const) {
        const table = swarm[family]
        if (table === undefined) continue
        removed += table.sweep(nowSeconds)
        if (table.size === 0) swarm[family] = undefined
      }
      if (removed !== before) this.changed.add(key)
      const empty = swarm.ipv4 === undefined && swarm.ipv6 === undefined
      if (empty && swarm.completed === 0 && !this.allowed.has(key)) this.swarms.delete(key)
    }
    this.peerCount -= removed
    return removed
  }

  /** Info-hashes whose counts changed since the last call (removed swarms included). */
  takeChangedSwarms(): Uint8Array[] {
    const hashes = [...this.changed].map(hashBytes)
    this.changed.clear()
    return hashes
  }

  totals(): TrackerTotals {
    let seeders = 0
    for (const swarm of this.swarms.values()) {
      seeders += (swarm.ipv4?.seeders ?? 0) + (swarm.ipv6?.seeders ?? 0)
    }
    const peers = this.peerCount
    return { torrents: this.swarms.size, peers, seeders, leechers: peers - seeders }
  }

  /** Up to `max` swarms with their counts, for a full scrape. */
  listSwarms(max: number): { infoHash: Uint8Array; counts: SwarmCounts }[] {
    const out: { infoHash: Uint8Array; counts: SwarmCounts }[] = []
    for (const [key, swarm] of this.swarms) {
      if (out.length >= max) break
      out.push({ infoHash: hashBytes(key), counts: countsOfSwarm(swarm) })
    }
    return out
  }

  /** Bytes held by the peer tables' typed arrays. */
  tableBytes(): number {
    let bytes = 0
    for (const swarm of this.swarms.values()) {
      bytes += (swarm.ipv4?.bytes ?? 0) + (swarm.ipv6?.bytes ?? 0)
    }
    return bytes
  }

  /**
   * A uniform sample of the others, never the requester; a seeder gets leechers only (another
   * seeder is of no use to it). Peers of both tables are drawn from one combined range.
   */
  private select(
    swarm: Swarm,
    request: PeerAnnounce,
    own: PeerTable,
    ownRecord: number,
  ): AnnounceAnswer {
    const counts = countsOfSwarm(swarm)
    const families: IpFamily[] = request.families === 'both' ? ['ipv4', 'ipv6'] : [request.family]
    const ranges = families.map((family) => {
      const table = swarm[family]
      if (table === undefined) return { family, table, range: 0, skip: -1 }
      const full = request.seeder ? table.leechers : table.size
      const skip = table === own && ownRecord < full ? ownRecord : -1
      return { family, table, range: skip >= 0 ? full - 1 : full, skip }
    })
    const total = ranges.reduce((sum, r) => sum + r.range, 0)
    const chosen = sampleDistinct(this.random, total, Math.min(request.numWant, total))
    const picked: Record<IpFamily, number[]> = { ipv4: [], ipv6: [] }
    for (const index of chosen) {
      let at = index
      for (const r of ranges) {
        if (at < r.range) {
          picked[r.family].push(r.skip >= 0 && at >= r.skip ? at + 1 : at)
          break
        }
        at -= r.range
      }
    }
    const copy = (family: IpFamily): SelectedPeers => {
      const records = picked[family]
      const table = swarm[family]
      if (records.length === 0 || table === undefined) return NO_PEERS
      const addrs = new Uint8Array(records.length * table.addrBytes)
      const ids = new Uint8Array(request.withPeerIds ? records.length * PEER_ID_BYTES : 0)
      records.forEach((record, i) => {
        table.copyAddr(record, addrs, i * table.addrBytes)
        if (request.withPeerIds) table.copyPeerId(record, ids, i * PEER_ID_BYTES)
      })
      return { count: records.length, addrs, ids }
    }
    return { ...counts, ipv4: copy('ipv4'), ipv6: copy('ipv6') }
  }
}

function countsOfSwarm(swarm: Swarm): SwarmCounts {
  return {
    seeders: (swarm.ipv4?.seeders ?? 0) + (swarm.ipv6?.seeders ?? 0),
    leechers: (swarm.ipv4?.leechers ?? 0) + (swarm.ipv6?.leechers ?? 0),
    completed: swarm.completed,
  }
}

const answer = (counts: SwarmCounts): AnnounceAnswer => ({
  ...counts,
  ipv4: NO_PEERS,
  ipv6: NO_PEERS,
})

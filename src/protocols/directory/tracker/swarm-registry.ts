/**
 * Every swarm the tracker knows: per info-hash one `PeerTable` per address family and a
 * `completed` counter. Sans-IO and transport-free: the HTTP and UDP front ends turn requests
 * into `PeerAnnounce`s and the answers back into bytes.
 */
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

/**
 * The map key of an info-hash: one char per byte. `apply` takes the typed array as its
 * argument list and builds a flat string in one call, several times faster than spreading or
 * concatenating char by char (a rope would be flattened again on every Map lookup).
 */
const hashKey = (infoHash: Uint8Array): string =>
  String.fromCharCode.apply(null, infoHash as unknown as number[])
const hashBytes = (key: string): Uint8Array => Uint8Array.from(key, (c) => c.charCodeAt(0))

export class SwarmRegistry {
  private readonly swarms = new Map<string, Swarm>()
  private readonly allowed = new Set<string>()
  private readonly changed = new Set<string>()
  private readonly hashSeed: number
  private peerCount = 0
  /** Kept up to date so that `totals()` is O(1) for the web pages. */
  private seederCount = 0
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
        if (table.isSeeder(record)) this.seederCount--
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
      if (request.seeder) this.seederCount++
      this.changed.add(key)
    } else {
      table.setDeadline(record, deadline)
      if (table.isSeeder(record) !== request.seeder) {
        record = table.setSeeder(record, request.seeder)
        this.seederCount += request.seeder ? 1 : -1
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
    this.seederCount -= countsOfSwarm(swarm).seeders
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
        const seeders = table.seeders
        removed += table.sweep(nowSeconds)
        this.seederCount -= seeders - table.seeders
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
    const peers = this.peerCount
    const seeders = this.seederCount
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
    const both = request.families === 'both'
    const first = both ? swarm.ipv4 : own
    const second = both ? swarm.ipv6 : undefined
    const range1 = eligible(first, request.seeder, own, ownRecord)
    const range2 = eligible(second, request.seeder, own, ownRecord)
    const total = range1 + range2
    const wanted = Math.min(request.numWant, total)
    if (wanted === 0) return answer(counts)
    const picked1: number[] = []
    const picked2: number[] = []
    for (const index of sampleDistinct(this.random, total, wanted)) {
      if (index < range1) picked1.push(skipOwn(first, index, own, ownRecord))
      else picked2.push(skipOwn(second, index - range1, own, ownRecord))
    }
    const selected1 = copyPeers(first, picked1, request.withPeerIds)
    const selected2 = copyPeers(second, picked2, request.withPeerIds)
    const firstIsV4 = first === swarm.ipv4 && first !== undefined
    if (both) return withPeers(counts, selected1, selected2)
    return firstIsV4
      ? withPeers(counts, selected1, NO_PEERS)
      : withPeers(counts, NO_PEERS, selected1)
  }
}

/** How many of `table`'s peers a requester may get: leechers only for a seeder, minus itself. */
function eligible(
  table: PeerTable | undefined,
  seeder: boolean,
  own: PeerTable,
  ownRecord: number,
): number {
  if (table === undefined) return 0
  const full = seeder ? table.leechers : table.size
  return table === own && ownRecord < full ? full - 1 : full
}

/** Maps an index of the eligible range (which leaves the requester out) to a record. */
function skipOwn(
  table: PeerTable | undefined,
  index: number,
  own: PeerTable,
  ownRecord: number,
): number {
  return table === own && index >= ownRecord ? index + 1 : index
}

function copyPeers(
  table: PeerTable | undefined,
  records: readonly number[],
  withIds: boolean,
): SelectedPeers {
  if (records.length === 0 || table === undefined) return NO_PEERS
  const size = table.addrBytes
  const addrs = new Uint8Array(records.length * size)
  const ids = new Uint8Array(withIds ? records.length * PEER_ID_BYTES : 0)
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as number
    table.copyAddr(record, addrs, i * size)
    if (withIds) table.copyPeerId(record, ids, i * PEER_ID_BYTES)
  }
  return { count: records.length, addrs, ids }
}

function countsOfSwarm(swarm: Swarm): SwarmCounts {
  return {
    seeders: (swarm.ipv4?.seeders ?? 0) + (swarm.ipv6?.seeders ?? 0),
    leechers: (swarm.ipv4?.leechers ?? 0) + (swarm.ipv6?.leechers ?? 0),
    completed: swarm.completed,
  }
}

const answer = (counts: SwarmCounts): AnnounceAnswer => ({
  seeders: counts.seeders,
  leechers: counts.leechers,
  completed: counts.completed,
  ipv4: NO_PEERS,
  ipv6: NO_PEERS,
})

const withPeers = (
  counts: SwarmCounts,
  ipv4: SelectedPeers,
  ipv6: SelectedPeers,
): AnnounceAnswer => ({
  seeders: counts.seeders,
  leechers: counts.leechers,
  completed: counts.completed,
  ipv4,
  ipv6,
})

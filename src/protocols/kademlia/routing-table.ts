/**
 * The Kademlia routing table of BEP 5: buckets of at most k nodes by shared prefix length with
 * our id; only the bucket covering our own id splits. Buckets are stored as a list where
 * bucket i holds nodes sharing exactly i leading bits with us, and the last bucket holds every
 * node sharing at least its index: splitting pushes a new last bucket.
 *
 * Node states (BEP 5): good when it answered us within `goodFor`, or answered us once and
 * queried us within `goodFor`; bad after `failuresToBad` failed queries in a row;
 * questionable otherwise. A full bucket takes a new node only in place of a bad one; else the
 * newcomer waits in the bucket's replacement cache and the table asks (through the returned
 * `ping`) for the least recently seen questionable node to be pinged.
 *
 * The table scans its nodes (a few hundred at most) rather than keeping maps beside them: the
 * simulator holds 100,000 tables, and a map per table would double their memory.
 */
import type { Address } from '../../core/address.js'
import { assert } from '../../core/errors.js'
import {
  commonPrefixLength,
  compareDistance,
  equalIds,
  ID_BITS,
  type Id160,
} from '../../core/id.js'
import type { Instant } from '../../core/time.js'
import type { RoutingConfig } from './config.js'
import { idAcceptable, ipLimited, subnetOf } from './ip-policy.js'
import type { NodeInfo } from './messages.js'

export type NodeState = 'good' | 'questionable' | 'bad'

/** How we heard from a node. `learned`: it was named in someone's reply, never verified. */
export type Heard = 'response' | 'query' | 'learned'

const NEVER = -1

export class RoutingNode {
  /** When it last answered us, or -1. */
  lastResponse = NEVER
  /** When it last queried us, or -1. */
  lastQuery = NEVER
  /** Queries in a row it failed to answer. */
  failures = 0

  constructor(
    readonly id: Id160,
    readonly host: string,
    readonly port: number,
  ) {}

  get address(): Address {
    return { host: this.host, port: this.port }
  }

  info(): NodeInfo {
    return { id: this.id, address: this.address }
  }

  /** The last time we heard anything from it. */
  lastSeen(): number {
    return Math.max(this.lastResponse, this.lastQuery)
  }
}

export function nodeState(node: RoutingNode, now: Instant, config: RoutingConfig): NodeState {
  if (node.failures >= config.failuresToBad) return 'bad'
  // A node that never answered and already failed once is not worth another try.
  if (node.lastResponse === NEVER && node.failures > 0) return 'bad'
  if (node.lastResponse !== NEVER && now - node.lastResponse < config.goodFor) return 'good'
  if (node.lastResponse !== NEVER && now - node.lastQuery < config.goodFor) return 'good'
  return 'questionable'
}

export class Bucket {
  /**
   * Replaced, not pushed to, when a node joins (`concat`): a pushed array keeps room for 17,
   * about 100 bytes more than the 5-8 nodes a bucket holds, times 100,000 tables' 10 buckets.
   */
  nodes: RoutingNode[] = []
  readonly replacements: RoutingNode[] = []
  constructor(public lastChanged: Instant) {}
}

export type InsertOutcome =
  | 'added'
  | 'updated'
  | 'replacement'
  | 'ignored'
  | 'rejected_ip'
  | 'rejected_bep42'
  | 'rejected_self'

export interface InsertResult {
  readonly outcome: InsertOutcome
  /** A questionable node the caller should ping, to learn whether it can be replaced. */
  readonly ping?: RoutingNode
}

/**
 * The outcomes without a ping, made once: `heard` runs for nearly every datagram, and a fresh
 * result object each time was garbage the simulator's 100,000 nodes paid for in GC.
 */
const RESULT: Readonly<Record<InsertOutcome, InsertResult>> = {
  added: { outcome: 'added' },
  updated: { outcome: 'updated' },
  replacement: { outcome: 'replacement' },
  ignored: { outcome: 'ignored' },
  rejected_ip: { outcome: 'rejected_ip' },
  rejected_bep42: { outcome: 'rejected_bep42' },
  rejected_self: { outcome: 'rejected_self' },
}

export class RoutingTable {
  private readonly bucketList: Bucket[]
  private count = 0
  /**
   * `nextRefreshAt`, remembered: a lower bound, since bucket times only move forward (a split
   * copies one), so it is recomputed only when the refresh is checked (`bucketsToRefresh`).
   * The node asks for it after every datagram, and scanning the buckets each time was 2-3 % of
   * a simulation's CPU.
   */
  private refreshAt: number | undefined

  constructor(
    readonly ownId: Id160,
    private readonly config: RoutingConfig,
    now: Instant,
  ) {
    assert(config.k > 0, 'k must be positive')
    this.bucketList = [new Bucket(now)]
  }

  get size(): number {
    return this.count
  }

  /** The bucket size of BEP 5 (far buckets may hold more, see `bucketLimit`). */
  get k(): number {
    return this.config.k
  }

  get buckets(): readonly Bucket[] {
    return this.bucketList
  }

  /** The most nodes bucket `index` holds (see RoutingConfig.bucketSizeMultipliers). */
  bucketLimit(index: number): number {
    if (index >= this.bucketList.length - 1) return this.config.k
    return this.config.k * (this.config.bucketSizeMultipliers[index] ?? 1)
  }

  bucketIndexOf(id: Id160): number {
    return Math.min(commonPrefixLength(this.ownId, id), this.bucketList.length - 1)
  }

  /** The node with this address, in a bucket or a replacement cache. */
  find(address: Address): RoutingNode | undefined {
    for (const bucket of this.bucketList) {
      for (const node of bucket.nodes) {
        if (node.port === address.port && node.host === address.host) return node
      }
    }
    return undefined
  }

  /** Records that we heard from `id` at `address` and places it when there is room. */
  heard(now: Instant, id: Id160, address: Address, how: Heard): InsertResult {
    if (equalIds(id, this.ownId)) return RESULT.rejected_self
    const index = this.bucketIndexOf(id)
    const bucket = this.bucketList[index] as Bucket
    const existing = this.findIn(bucket.nodes, address)
    if (existing !== undefined) {
      if (!equalIds(existing.id, id)) {
        // The address now answers with another id (a restart, or a lie): forget the old one.
        this.removeAt(bucket, existing)
        return this.heard(now, id, address, how)
      }
      this.record(existing, now, how)
      if (how !== 'learned') bucket.lastChanged = now
      return RESULT.updated
    }
    // Nodes named in replies mostly land in full far buckets: skip them before any costlier check.
    if (
      how === 'learned' &&
      bucket.nodes.length >= this.bucketLimit(index) &&
      index < this.bucketList.length - 1
    ) {
      return RESULT.ignored
    }
    if (!idAcceptable(id, address.host, this.config)) return RESULT.rejected_bep42
    const other = this.findById(bucket.nodes, id)
    if (other !== undefined) {
      // Same id from another address: keep the one we know unless it went bad.
      if (nodeState(other, now, this.config) !== 'bad') return RESULT.ignored
      this.removeAt(bucket, other)
    }
    // A copy, not the id given: ids named in replies are views into the reply's node list,
    // which a table keeping one of its eight would otherwise retain whole. Many nodes in one
    // process (the simulator) share one copy of each id and host string among their tables.
    const shared = this.config.sharedIds
    const node =
      shared === undefined
        ? new RoutingNode(id.slice() as Id160, address.host, address.port)
        : new RoutingNode(shared.id(id), shared.host(address.host), address.port)
    this.record(node, now, how)
    return this.place(now, index, node, how)
  }

  /** A query to the node at `address` went unanswered. */
  failed(now: Instant, address: Address): void {
    for (let i = 0; i < this.bucketList.length; i++) {
      const bucket = this.bucketList[i] as Bucket
      const node = this.findIn(bucket.nodes, address)
      if (node === undefined) continue
      node.failures++
      if (nodeState(node, now, this.config) !== 'bad' || bucket.replacements.length === 0) return
      this.removeAt(bucket, node)
      this.promoteReplacement(now, bucket)
      return
    }
  }

  /**
   * The node at `address` answered under another id than `id`, which we addressed it by: the
   * node we knew there is gone (it restarted with a new id), so its entry goes at once. Kept,
   * it would stay questionable for ever (pings of it are answered, under the new id), be handed
   * out in replies and hold the address's per-IP slot against the node now there.
   */
  forget(now: Instant, address: Address, id: Id160): void {
    const bucket = this.bucketList[this.bucketIndexOf(id)] as Bucket
    const node = this.findIn(bucket.nodes, address)
    if (node === undefined || !equalIds(node.id, id)) return
    this.removeAt(bucket, node)
    this.promoteReplacement(now, bucket)
  }

  /** The newest replacement first; one whose IP has meanwhile reached its limit is dropped. */
  private promoteReplacement(now: Instant, bucket: Bucket): void {
    for (let r = bucket.replacements.pop(); r !== undefined; r = bucket.replacements.pop()) {
      if (!this.ipAllowed(r.address) || !this.subnetAllowed(r.host, bucket)) continue
      bucket.nodes = bucket.nodes.concat(r)
      this.count++
      bucket.lastChanged = now
      return
    }
  }

  /**
   * Up to `count` non-bad nodes closest to `target`, closest first. With j = the target's
   * bucket, every node of bucket j is closer than any node of a bucket above j, which are all
   * closer than bucket j - 1, then j - 2...: so buckets are visited in that order and sorted
   * only within a group, and the walk stops once `count` nodes are found.
   */
  closest(now: Instant, target: Id160, count: number): RoutingNode[] {
    const found: RoutingNode[] = []
    const last = this.bucketList.length - 1
    const j = this.bucketIndexOf(target)
    this.select(now, target, j, j, found, count)
    if (found.length < count && j < last) this.select(now, target, j + 1, last, found, count)
    for (let i = j - 1; i >= 0 && found.length < count; i--) {
      this.select(now, target, i, i, found, count)
    }
    return found
  }

  /**
   * Appends to `found` the non-bad nodes of buckets `from..to` (one group of the walk above)
   * closest to `target`, closest first, until it holds `count`. A partial insertion sort:
   * every query we answer walks most of the table, and only k of its nodes are wanted.
   */
  private select(
    now: Instant,
    target: Id160,
    from: number,
    to: number,
    found: RoutingNode[],
    count: number,
  ): void {
    const want = count - found.length
    if (want <= 0) return
    const chosen: RoutingNode[] = []
    for (let i = from; i <= to; i++) {
      for (const node of (this.bucketList[i] as Bucket).nodes) {
        const full = chosen.length === want
        if (full && compareDistance(target, node.id, (chosen[want - 1] as RoutingNode).id) >= 0) {
          continue
        }
        if (nodeState(node, now, this.config) === 'bad') continue
        if (full) chosen.pop()
        let at = chosen.length
        while (at > 0 && compareDistance(target, node.id, (chosen[at - 1] as RoutingNode).id) < 0) {
          at--
        }
        chosen.splice(at, 0, node)
      }
    }
    for (const node of chosen) found.push(node)
  }

  /** Every node in a bucket (not the replacement caches). */
  *allNodes(): Generator<RoutingNode> {
    for (const bucket of this.bucketList) yield* bucket.nodes
  }

  /** Indexes of buckets unchanged for `refreshAfter`, stalest first. */
  bucketsToRefresh(now: Instant): number[] {
    this.refreshAt = undefined
    const due: number[] = []
    this.bucketList.forEach((bucket, i) => {
      // The same sum as nextRefreshAt: a difference could round the other way and spin the timer.
      if (bucket.lastChanged + this.config.refreshAfter <= now) due.push(i)
    })
    return due.sort(
      (a, b) =>
        (this.bucketList[a] as Bucket).lastChanged - (this.bucketList[b] as Bucket).lastChanged,
    )
  }

  /** When the next bucket becomes due for refresh (possibly earlier: see `refreshAt`). */
  nextRefreshAt(): Instant {
    if (this.refreshAt === undefined) {
      let next = Infinity
      for (const bucket of this.bucketList) next = Math.min(next, bucket.lastChanged)
      this.refreshAt = next + this.config.refreshAfter
    }
    return this.refreshAt as Instant
  }

  touchBucket(index: number, now: Instant): void {
    const bucket = this.bucketList[index]
    if (bucket !== undefined) bucket.lastChanged = now
  }

  private record(node: RoutingNode, now: Instant, how: Heard): void {
    // Whole milliseconds: V8 keeps small integers inline in the node, where a fractional time
    // (the simulator's) would cost a boxed number per field, and node states need no finer.
    if (how === 'response') {
      node.lastResponse = Math.floor(now)
      node.failures = 0
    } else if (how === 'query') {
      node.lastQuery = Math.floor(now)
    }
  }

  private place(now: Instant, index: number, node: RoutingNode, how: Heard): InsertResult {
    const bucket = this.bucketList[index] as Bucket
    if (bucket.nodes.length < this.bucketLimit(index)) {
      // The subnet limit is per bucket, so it is checked once the bucket is known (after splits).
      if (!this.subnetAllowed(node.host, bucket) || !this.ipAllowedFor(now, node, how)) {
        return RESULT.rejected_ip
      }
      bucket.nodes = bucket.nodes.concat(node)
      this.count++
      bucket.lastChanged = now
      this.dropReplacement(bucket, node)
      return RESULT.added
    }
    const last = index === this.bucketList.length - 1
    if (last && this.bucketList.length < ID_BITS) {
      this.split(now)
      return this.place(now, this.bucketIndexOf(node.id), node, how)
    }
    let bad: RoutingNode | undefined
    let questionable: RoutingNode | undefined
    for (const candidate of bucket.nodes) {
      const state = nodeState(candidate, now, this.config)
      if (state === 'bad') bad = candidate
      else if (
        state === 'questionable' &&
        (questionable === undefined || candidate.lastSeen() < questionable.lastSeen())
      ) {
        questionable = candidate
      }
    }
    if (bad !== undefined) {
      if (!this.subnetAllowed(node.host, bucket, bad) || !this.ipAllowedFor(now, node, how)) {
        return RESULT.rejected_ip
      }
      this.removeAt(bucket, bad)
      bucket.nodes = bucket.nodes.concat(node)
      this.count++
      bucket.lastChanged = now
      return RESULT.added
    }
    // Unverified nodes never displace anyone, not even into the replacement cache.
    if (how === 'learned') return RESULT.ignored
    // The per-IP limit is checked when a replacement is promoted (`failed`), not here: this
    // path runs for nearly every query from a stranger, and scanning the whole table for its
    // IP each time was 7 % of a 10,000-node simulation.
    this.addReplacement(bucket, node)
    return questionable === undefined
      ? RESULT.replacement
      : { outcome: 'replacement', ping: questionable }
  }

  private split(now: Instant): void {
    const lastIndex = this.bucketList.length - 1
    const old = this.bucketList[lastIndex] as Bucket
    const next = new Bucket(now)
    this.bucketList.push(next)
    const keep = old.nodes.filter((n) => commonPrefixLength(this.ownId, n.id) === lastIndex)
    const moved = old.nodes.filter((n) => commonPrefixLength(this.ownId, n.id) > lastIndex)
    old.nodes = keep.slice()
    next.nodes = moved.slice()
    next.lastChanged = old.lastChanged
    const keepR = old.replacements.filter((n) => commonPrefixLength(this.ownId, n.id) === lastIndex)
    const movedR = old.replacements.filter((n) => commonPrefixLength(this.ownId, n.id) > lastIndex)
    old.replacements.length = 0
    old.replacements.push(...keepR)
    next.replacements.push(...movedR)
  }

  private addReplacement(bucket: Bucket, node: RoutingNode): void {
    this.dropReplacement(bucket, node)
    bucket.replacements.push(node)
    if (bucket.replacements.length > this.config.replacementsPerBucket) bucket.replacements.shift()
  }

  private dropReplacement(bucket: Bucket, node: RoutingNode): void {
    const at = bucket.replacements.findIndex(
      (r) => (r.host === node.host && r.port === node.port) || equalIds(r.id, node.id),
    )
    if (at >= 0) bucket.replacements.splice(at, 1)
  }

  private removeAt(bucket: Bucket, node: RoutingNode): void {
    const at = bucket.nodes.indexOf(node)
    if (at >= 0) {
      bucket.nodes.splice(at, 1)
      this.count--
    }
  }

  /**
   * The per-IP limit for a node heard from itself (`how`) or named by others. When the node
   * itself spoke from an address we hold under another id (a restart: the new id files into
   * another bucket), that entry is a node that is gone, and it gives way (a stranger's hearsay
   * cannot evict it). Checked only here, where the whole table is scanned anyway.
   */
  private ipAllowedFor(now: Instant, node: RoutingNode, how: Heard): boolean {
    const allowed = this.ipAllowed(node.address)
    if (allowed || how === 'learned') return allowed
    const stale = this.find(node.address)
    if (stale === undefined || equalIds(stale.id, node.id)) return false
    const bucket = this.bucketList[this.bucketIndexOf(stale.id)] as Bucket
    this.removeAt(bucket, stale)
    this.promoteReplacement(now, bucket)
    return this.ipAllowed(node.address)
  }

  /** The per-IP limit, over the whole table. */
  private ipAllowed(address: Address): boolean {
    if (!ipLimited(address.host, this.config)) return true
    let sameIp = 0
    for (const b of this.bucketList) {
      for (const n of b.nodes) if (n.host === address.host) sameIp++
    }
    return sameIp < this.config.perIpMax
  }

  /** The per-subnet limit in `bucket`, not counting `leaving` (a node about to be replaced). */
  private subnetAllowed(host: string, bucket: Bucket, leaving?: RoutingNode): boolean {
    if (!ipLimited(host, this.config)) return true
    const subnet = subnetOf(host)
    let same = 0
    for (const n of bucket.nodes) if (n !== leaving && subnetOf(n.host) === subnet) same++
    return same < this.config.perSubnetPerBucketMax
  }

  private findIn(nodes: readonly RoutingNode[], address: Address): RoutingNode | undefined {
    for (const node of nodes) {
      if (node.port === address.port && node.host === address.host) return node
    }
    return undefined
  }

  private findById(nodes: readonly RoutingNode[], id: Id160): RoutingNode | undefined {
    for (const node of nodes) if (equalIds(node.id, id)) return node
    return undefined
  }
}

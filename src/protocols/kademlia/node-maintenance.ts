/**
 * The node's upkeep, apart from the commands it runs: housekeeping once a minute (expiring
 * stored peers and items, rotating token secrets, forgetting idle rate-limit sources), pings
 * of the questionable nodes a full bucket names, bucket refresh (a lookup, or with
 * `refreshByQuery` one find_node) and the extended table's fill queries. It decides what to
 * send; the node sends it (and runs a refresh lookup as one of its operations).
 */
import { addressKey } from '../../core/address.js'
import type { IpFamily } from '../../core/compact-peers.js'
import { randomIdInBucket, type Id160 } from '../../core/id.js'
import type { Random } from '../../core/random.js'
import { after, type Instant } from '../../core/time.js'
import { BucketFiller } from './bucket-fill.js'
import {
  claimBucketToRefresh,
  refreshDueAt,
  refreshJitter,
  refreshQuery,
} from './bucket-refresh.js'
import type { DhtConfig } from './config.js'
import type { FamilyTables } from './family-tables.js'
import type { ItemStore } from './items.js'
import type { KrpcResponseBody } from './messages.js'
import type { OperationActions } from './node-operations.js'
import type { Operation } from './operation.js'
import type { PeerStore } from './peer-store.js'
import type { RateLimiter } from './rate-limiter.js'
import type { Pending, Requests } from './requests.js'
import type { InsertResult } from './routing-table.js'
import type { TokenSecrets } from './tokens.js'

const HOUSEKEEPING_MS = 60_000

/** The parts of its node upkeep works on. */
export interface MaintainedParts {
  readonly config: DhtConfig
  readonly random: Random
  readonly peerStore: PeerStore
  readonly itemStore: ItemStore
  readonly tokens: TokenSecrets
  readonly limiter: RateLimiter
  readonly requests: Requests
}

/** What upkeep asks its node to do: `send` as operations do, and refresh lookups. */
export interface MaintenanceActions extends Pick<OperationActions, 'send'> {
  /** Starts a refresh lookup for `target` in `family` (every family when undefined). */
  startRefresh(now: Instant, target: Id160, family: IpFamily | undefined): Operation
  advance(now: Instant, op: Operation): void
}

export class NodeMaintenance {
  /** Addresses with a table ping in flight (made on the first), so none is pinged twice. */
  private tablePings: Set<string> | undefined
  /** When the next table ping may go out (config.tablePingSpacing). */
  private tablePingAt = 0
  private readonly filler: BucketFiller
  private refreshOp: Operation | undefined
  /**
   * No refresh before this instant, and none until `refreshSlack` after a bucket went stale:
   * both drawn anew at each refresh (`refreshJitter`). With exact times, 100,000 simulated
   * tables filled in the same minute all refreshed in the same minute 15 min later.
   */
  private refreshNotBefore: number = -Infinity
  private refreshSlack: number
  private housekeepingAt: Instant

  constructor(
    private readonly parts: MaintainedParts,
    private readonly actions: MaintenanceActions,
    /** Our tables and id; replaced when BEP 42 gives us a new id (`retarget`). */
    private tables: FamilyTables,
    private ownId: Id160,
    now: Instant,
  ) {
    this.filler = new BucketFiller(parts.config.fillSpacing)
    this.refreshSlack = refreshJitter(now, parts.config.refreshSpacing, parts.random).slack
    this.housekeepingAt = after(now, HOUSEKEEPING_MS as never)
  }

  /** BEP 42 gave us a new id and tables to go with it. */
  retarget(tables: FamilyTables, ownId: Id160): void {
    this.tables = tables
    this.ownId = ownId
  }

  /** The earliest instant upkeep has something to do, or `limit` when that is later. */
  nextDue(limit: number): number {
    let next = Math.min(limit, this.housekeepingAt, this.filler.dueAt())
    const tables = this.tables
    if (tables.size > 0 && this.refreshOp === undefined) {
      const at = refreshDueAt(tables, this.refreshNotBefore, this.refreshSlack)
      if (at < next) next = at
    }
    return next
  }

  /** Pings the questionable node a full bucket named, so a bad one can be replaced. */
  afterInsert(now: Instant, result: InsertResult): void {
    const node = result.ping
    if (node === undefined || now < this.tablePingAt) return
    const key = addressKey(node.address)
    const pings = (this.tablePings ??= new Set())
    if (pings.has(key) || this.parts.requests.size >= this.parts.config.inflightMax) return
    pings.add(key)
    this.tablePingAt = now + this.parts.config.tablePingSpacing
    this.actions.send(now, node.address, { method: 'ping' }, 'table_ping', undefined, node.id)
  }

  /** A request of ours ended (answered or not): upkeep forgets its table ping. */
  settled(p: Pending): void {
    if (p.role === 'table_ping') this.tablePings?.delete(p.key)
  }

  /** An answer to an upkeep query: the nodes it names go into the tables. */
  answered(now: Instant, p: Pending, body: KrpcResponseBody): void {
    const tables = this.tables
    if (p.role === 'fill') this.filler.answered(tables.learn(now, body.nodes ?? []))
    else if (p.role === 'refresh') tables.learn(now, body.nodes ?? [])
  }

  /** An operation ended: a finished refresh frees the slot; a bootstrap arms the filler. */
  finished(op: Operation): void {
    if (op === this.refreshOp) this.refreshOp = undefined
    if (op.kind === 'bootstrap') this.filler.rearm() // joined: the large buckets can be filled now
  }

  /** Runs what is due now: housekeeping, a fill query, a bucket refresh. */
  maintain(now: Instant): void {
    const parts = this.parts
    const actions = this.actions
    if (now >= this.housekeepingAt) {
      parts.peerStore.expire(now)
      parts.itemStore.expire(now)
      parts.tokens.maybeRotate(now)
      parts.limiter.forgetIdle(now, Infinity)
      this.housekeepingAt = after(now, HOUSEKEEPING_MS as never)
      this.filler.rearm()
    }
    const tables = this.tables
    const ownId = this.ownId
    const fill = this.filler.take(now, tables, ownId, parts.random)
    if (fill !== undefined) actions.send(now, fill.to, fill.query, 'fill', undefined, fill.toId)
    if (this.refreshOp !== undefined || tables.size === 0) return
    // Compared as the sum nextDue uses, so float rounding cannot spin the timer.
    if (now < this.refreshNotBefore) return
    // No bucket due (the tables remember when one will be): skip the scan and sort of buckets.
    if (refreshDueAt(tables, this.refreshNotBefore, this.refreshSlack) > now) return
    const due = claimBucketToRefresh(tables, now)
    if (due === undefined) return
    const jitter = refreshJitter(now, parts.config.refreshSpacing, parts.random)
    this.refreshNotBefore = jitter.notBefore
    this.refreshSlack = jitter.slack
    const single = parts.config.refreshByQuery && refreshQuery(tables, due, ownId, parts.random)
    if (single) return actions.send(now, single.to, single.query, 'refresh', undefined, single.toId)
    const target = randomIdInBucket(ownId, due.index, parts.random)
    // A bucket belongs to one family's table: its refresh looks up that family only.
    this.refreshOp = actions.startRefresh(now, target, tables.dualStack ? due.family : undefined)
    // Advanced only once remembered: a lookup with no candidates finishes at once.
    actions.advance(now, this.refreshOp)
  }
}

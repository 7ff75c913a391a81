/**
 * How libtorrent's extended routing table gets its large far buckets filled: while one has
 * room, a single find_node (not a lookup) every `spacing` goes to a node of that bucket for a
 * random id in it (libtorrent's "single refresh"). The target shares the bucket's prefix with
 * us and so does the node asked, so the nodes it names share it too and land in that bucket:
 * about k new nodes a query. A bucket whose last answer added nothing is left alone until the
 * next `rearm` (housekeeping), since a small network may never fill it.
 */
import type { Address } from '../../core/address.js'
import { randomIdInBucket, type Id160 } from '../../core/id.js'
import type { Random } from '../../core/random.js'
import type { Instant } from '../../core/time.js'
import type { FamilyTables } from './family-tables.js'
import type { KrpcQuery } from './messages.js'
import type { RoutingTable } from './routing-table.js'

export interface FillQuery {
  readonly to: Address
  /** The id we know the node at `to` by. */
  readonly toId: Id160
  readonly query: KrpcQuery
}

export class BucketFiller {
  private nextAt = 0
  /** Idle until `rearm`: after joining, then at each housekeeping. */
  private active = false
  /** Bucket indexes whose last fill answer added nothing, per table. */
  /** Made on the first stalled bucket (a BEP 5 table never has one). */
  private stalled: Map<RoutingTable, Set<number>> | undefined
  private last: { readonly table: RoutingTable; readonly index: number } | undefined

  constructor(private readonly spacing: number) {}

  /** When the next fill query may go out (Infinity while there is nothing to fill). */
  dueAt(): number {
    return this.active ? this.nextAt : Infinity
  }

  /** The fill query to send now, if one is due and a large bucket has room. */
  take(now: Instant, tables: FamilyTables, ownId: Id160, random: Random): FillQuery | undefined {
    if (!this.active || now < this.nextAt) return undefined
    for (const table of tables.each()) {
      const buckets = table.buckets
      const stalled = this.stalled?.get(table)
      // The last (splitting) bucket is never a large one; nor is any holding only k.
      for (let index = 0; index < buckets.length - 1; index++) {
        const bucket = buckets[index]
        if (bucket === undefined || table.bucketLimit(index) <= table.k) break
        if (bucket.nodes.length >= table.bucketLimit(index) || stalled?.has(index) === true)
          continue
        const from = bucket.nodes[random.int(Math.max(1, bucket.nodes.length))]
        if (from === undefined) continue
        this.nextAt = now + this.spacing
        this.last = { table, index }
        const target = randomIdInBucket(ownId, index, random)
        return { to: from.address, toId: from.id, query: { method: 'find_node', target } }
      }
    }
    this.active = false
    return undefined
  }

  /** A fill query was answered and `added` of the nodes it named went into the table. */
  answered(added: number): void {
    const last = this.last
    if (last === undefined || added > 0) return
    this.stalled ??= new Map()
    let stalled = this.stalled.get(last.table)
    if (stalled === undefined) this.stalled.set(last.table, (stalled = new Set()))
    stalled.add(last.index)
  }

  /** Housekeeping: look for room again (nodes go bad; stalled buckets get another try). */
  rearm(): void {
    this.active = true
    this.stalled = undefined
  }
}

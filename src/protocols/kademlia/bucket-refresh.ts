import type { IpFamily } from '../../core/compact-peers.js'
import { randomIdInBucket, type Id160 } from '../../core/id.js'
import type { Random } from '../../core/random.js'
import type { Instant } from '../../core/time.js'
import type { FillQuery } from './bucket-fill.js'
import type { FamilyTables } from './family-tables.js'
import type { RoutingNode } from './routing-table.js'

/**
 * When and which bucket the node refreshes (BEP 5: a bucket unchanged for `refreshAfter` gets a
 * lookup of a random id in it), across every family's table, at most one per `spacing`.
 */

/** The first instant a refresh is due, never sooner than `spacing` after the last one. */
export function refreshDueAt(tables: FamilyTables, lastRefreshAt: number, spacing: number): number {
  let due = Infinity
  for (const family of tables.families) {
    const table = tables.table(family)
    if (table !== undefined && table.size > 0) due = Math.min(due, table.nextRefreshAt())
  }
  return Math.max(due, lastRefreshAt + spacing)
}

/** The bucket to refresh now and its table's family, marked as refreshed; undefined when none is due. */
export function claimBucketToRefresh(
  tables: FamilyTables,
  now: Instant,
): { readonly index: number; readonly family: IpFamily } | undefined {
  for (const family of tables.families) {
    const table = tables.table(family)
    if (table === undefined || table.size === 0) continue
    const index = table.bucketsToRefresh(now)[0]
    if (index === undefined) continue
    table.touchBucket(index, now)
    return { index, family }
  }
  return undefined
}

/**
 * libtorrent's way to refresh a bucket (`refreshByQuery`): one find_node for a random id in it,
 * to the node of it we heard from longest ago (the answer also says whether that node is still
 * there, and names about k nodes of the bucket), instead of BEP 5's lookup of about 15 queries.
 * Undefined for an empty bucket, which only a lookup can refill.
 */
export function refreshQuery(
  tables: FamilyTables,
  due: { readonly index: number; readonly family: IpFamily },
  ownId: Id160,
  random: Random,
): FillQuery | undefined {
  let stalest: RoutingNode | undefined
  for (const node of tables.table(due.family)?.buckets[due.index]?.nodes ?? []) {
    if (stalest === undefined || node.lastSeen() < stalest.lastSeen()) stalest = node
  }
  if (stalest === undefined) return undefined
  const target = randomIdInBucket(ownId, due.index, random)
  return { to: stalest.address, toId: stalest.id, query: { method: 'find_node', target } }
}

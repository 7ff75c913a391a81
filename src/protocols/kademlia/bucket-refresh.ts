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

/**
 * The first instant a refresh is due: `slack` after a bucket went stale, and never before
 * `notBefore` (the spacing after the last refresh). Upkeep draws both at random (see
 * `NodeMaintenance`), so nodes whose tables filled in the same minute do not refresh together.
 */
export function refreshDueAt(tables: FamilyTables, notBefore: number, slack: number): number {
  let due = Infinity
  for (const family of tables.families) {
    const table = tables.table(family)
    if (table !== undefined && table.size > 0) due = Math.min(due, table.nextRefreshAt())
  }
  return Math.max(due + slack, notBefore)
}

/**
 * The jitter of refresh times, as jech's dht.c (Transmission's DHT) does with its 5 + rand(20)
 * and 60 + rand(120) s maintenance intervals: the wait after a bucket goes stale is uniform in
 * [0, spacing), and the spacing to the next refresh uniform in [spacing / 2, 3 spacing / 2),
 * the configured spacing on average.
 */
export function refreshJitter(
  now: number,
  spacing: number,
  random: Random,
): { readonly notBefore: number; readonly slack: number } {
  return { notBefore: now + spacing * (0.5 + random.float()), slack: spacing * random.float() }
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

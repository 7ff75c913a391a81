import type { IpFamily } from '../../core/compact-peers.js'
import type { Instant } from '../../core/time.js'
import type { FamilyTables } from './family-tables.js'

/**
 * When and which bucket the node refreshes (BEP 5: a bucket unchanged for `refreshAfter` gets a
 * lookup of a random id in it), across every family's table, at most one per `spacing`.
 */

/** The first instant a refresh is due, never sooner than `spacing` after the last one. */
export function refreshDueAt(tables: FamilyTables, lastRefreshAt: number, spacing: number): number {
  let due = Infinity
  for (const table of tables.each()) {
    if (table.size > 0) due = Math.min(due, table.nextRefreshAt())
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

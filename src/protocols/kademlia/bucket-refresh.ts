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

/** The bucket to refresh now, marked as refreshed; undefined when none is due. */
export function claimBucketToRefresh(tables: FamilyTables, now: Instant): number | undefined {
  let index: number | undefined
  for (const table of tables.each()) {
    if (table.size === 0) continue
    index = table.bucketsToRefresh(now)[0]
    if (index === undefined) continue
    table.touchBucket(index, now)
    break
  }
  return index
}

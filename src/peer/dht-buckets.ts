import type { Instant } from '../core/time.js'
import { nodeState, type RoutingConfig, type RoutingTable } from '../protocols/kademlia/index.js'
import type { DhtBucketStatus } from './types.js'

/** Each bucket of a routing table with its nodes counted by BEP 5 state, for the dashboard. */
export function bucketStatuses(
  table: RoutingTable,
  now: Instant,
  config: RoutingConfig,
): DhtBucketStatus[] {
  return table.buckets.map((bucket, index) => {
    const counts = { good: 0, questionable: 0, bad: 0 }
    for (const node of bucket.nodes) counts[nodeState(node, now, config)]++
    return {
      index,
      capacity: config.k,
      nodes: bucket.nodes.length,
      ...counts,
      replacements: bucket.replacements.length,
      lastChangedMsAgo: Math.max(0, now - bucket.lastChanged),
    }
  })
}

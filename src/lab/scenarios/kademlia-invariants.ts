import { toHex } from '../../core/bytes.js'
import { commonPrefixLength } from '../../core/id.js'
import {
  bep42Valid,
  subnetOf,
  type DhtConfig,
  type DhtNode,
} from '../../protocols/kademlia/index.js'

/**
 * Routing-table invariants over every live node: bucket limits, no node twice, every node in
 * the bucket its shared prefix names, BEP 42 ids, and the per-IP and per-subnet limits.
 * Returns the violations found.
 */
export function checkInvariants(nodes: readonly DhtNode[], config: DhtConfig): string[] {
  const problems: string[] = []
  const r = config.routing
  for (const node of nodes) {
    const table = node.routing
    const seenAddress = new Set<string>()
    const seenId = new Set<string>()
    const perIp = new Map<string, number>()
    table.buckets.forEach((bucket, index) => {
      if (bucket.nodes.length > table.bucketLimit(index))
        problems.push(`bucket ${index} holds ${bucket.nodes.length} > its limit`)
      const perSubnet = new Map<string, number>()
      for (const n of bucket.nodes) {
        const key = `${n.host}:${n.port}`
        const idKey = toHex(n.id)
        if (seenAddress.has(key) || seenId.has(idKey)) problems.push(`${key} twice in a table`)
        seenAddress.add(key)
        seenId.add(idKey)
        perIp.set(n.host, (perIp.get(n.host) ?? 0) + 1)
        const subnet = subnetOf(n.host)
        perSubnet.set(subnet, (perSubnet.get(subnet) ?? 0) + 1)
        const cpl = commonPrefixLength(table.ownId, n.id)
        const last = index === table.buckets.length - 1
        if (last ? cpl < index : cpl !== index) problems.push(`${key} in the wrong bucket`)
        if (r.enforceBep42 && !bep42Valid(n.id, n.host)) problems.push(`${key} fails BEP 42`)
      }
      for (const [subnet, count] of perSubnet) {
        if (count > r.perSubnetPerBucketMax)
          problems.push(`${count} nodes of ${subnet} in a bucket`)
      }
    })
    for (const [ip, count] of perIp)
      if (count > r.perIpMax) problems.push(`${count} nodes at ${ip}`)
    if (table.size !== seenAddress.size) problems.push('table size out of step with its buckets')
  }
  return problems
}

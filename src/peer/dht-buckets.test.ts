import assert from 'node:assert/strict'
import { test } from 'node:test'
import { randomIdInBucket, type Id160 } from '../core/id.js'
import { SeededRandom } from '../core/random.js'
import { instant, minutes } from '../core/time.js'
import { DEFAULT_ROUTING_CONFIG, RoutingTable } from '../protocols/kademlia/index.js'
import { bucketStatuses } from './dht-buckets.js'

test('buckets counted by node state: answered lately good, silent ones questionable', () => {
  const random = new SeededRandom(7)
  const own = new Uint8Array(20) as Id160
  const table = new RoutingTable(own, DEFAULT_ROUTING_CONFIG, instant(0))
  // Ten far nodes (first bit differs): k = 8 fill the bucket, two wait as replacements.
  for (let i = 0; i < 10; i++) {
    const address = { host: `30.0.${i}.1`, port: 6881 }
    table.heard(instant(0), randomIdInBucket(own, 0, random), address, 'response')
  }
  // Two of them answer again much later; the rest have been silent for 20 minutes.
  const later = instant(minutes(20))
  const [first, second] = table.buckets[0]?.nodes ?? []
  for (const node of [first, second]) {
    if (node !== undefined) table.heard(later, node.id, node.address, 'response')
  }
  const buckets = bucketStatuses(table, later, DEFAULT_ROUTING_CONFIG)
  assert.equal(buckets.length, table.buckets.length)
  assert.deepEqual(buckets[0], {
    index: 0,
    capacity: DEFAULT_ROUTING_CONFIG.k,
    nodes: 8,
    good: 2,
    questionable: 6,
    bad: 0,
    replacements: 2,
    lastChangedMsAgo: 0,
  })
})

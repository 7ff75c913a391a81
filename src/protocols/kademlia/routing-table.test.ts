import assert from 'node:assert/strict'
import { test } from 'node:test'
import { commonPrefixLength, randomIdInBucket, type Id160 } from '../../core/id.js'
import { SeededRandom } from '../../core/random.js'
import { instant, minutes } from '../../core/time.js'
import { bep42Id } from './bep42.js'
import { DEFAULT_ROUTING_CONFIG, type RoutingConfig } from './config.js'
import { nodeState, RoutingTable } from './routing-table.js'

const random = new SeededRandom(5)
const own = new Uint8Array(20) as Id160
const T0 = instant(0)
/** BEP 5's table: every bucket k (the extended table has its own test below). */
const config = (over: Partial<RoutingConfig> = {}): RoutingConfig => ({
  ...DEFAULT_ROUTING_CONFIG,
  bucketSizeMultipliers: [],
  ...over,
})
let hostCounter = 0
/** A fresh public address in its own /24 so limits do not interfere. */
const nextAddress = (): { host: string; port: number } => {
  hostCounter++
  return {
    host: `${20 + (hostCounter >> 16)}.${(hostCounter >> 8) & 255}.${hostCounter & 255}.1`,
    port: 6881,
  }
}

test('only the bucket covering our id splits; far buckets hold k and overflow to replacements', () => {
  const table = new RoutingTable(own, config(), T0)
  // 20 nodes in bucket 0 (first bit differs from ours).
  const outcomes = Array.from(
    { length: 20 },
    () => table.heard(T0, randomIdInBucket(own, 0, random), nextAddress(), 'response').outcome,
  )
  assert.equal(outcomes.filter((o) => o === 'added').length, 8)
  assert.equal(outcomes.filter((o) => o === 'replacement').length, 12)
  assert.equal(table.buckets[0]?.replacements.length, DEFAULT_ROUTING_CONFIG.replacementsPerBucket)
  // Nodes close to us make the table split further.
  for (let prefix = 1; prefix < 6; prefix++) {
    for (let i = 0; i < 8; i++)
      table.heard(T0, randomIdInBucket(own, prefix, random), nextAddress(), 'response')
  }
  assert.ok(table.buckets.length >= 6)
  table.buckets.forEach((bucket, index) => {
    assert.ok(bucket.nodes.length <= 8)
    for (const node of bucket.nodes) {
      const cpl = commonPrefixLength(own, node.id)
      if (index < table.buckets.length - 1) assert.equal(cpl, index)
      else assert.ok(cpl >= index)
    }
  })
})

test('node states follow BEP 5 and a bad node is replaced from the cache', () => {
  const cfg = config()
  const table = new RoutingTable(own, cfg, T0)
  const addresses = Array.from({ length: 9 }, nextAddress)
  addresses.forEach((a) => table.heard(T0, randomIdInBucket(own, 0, random), a, 'response'))
  const first = table.find(addresses[0] as never)
  assert.ok(first !== undefined)
  assert.equal(nodeState(first, T0, cfg), 'good')
  const later = instant(minutes(16))
  assert.equal(nodeState(first, later, cfg), 'questionable')
  // Ever answered and queried us recently: good again.
  table.heard(later, first.id, first.address, 'query')
  assert.equal(nodeState(first, later, cfg), 'good')
  table.failed(later, first.address)
  table.failed(later, first.address)
  assert.equal(table.find(first.address), undefined, 'bad node replaced')
  assert.ok(table.find(addresses[8] as never) !== undefined, 'replacement promoted')
})

test('a full bucket of questionable nodes asks for a ping of the stalest', () => {
  const table = new RoutingTable(own, config(), T0)
  for (let i = 0; i < 8; i++)
    table.heard(T0, randomIdInBucket(own, 0, random), nextAddress(), 'response')
  const later = instant(minutes(20))
  const result = table.heard(later, randomIdInBucket(own, 0, random), nextAddress(), 'response')
  assert.equal(result.outcome, 'replacement')
  assert.ok(result.ping !== undefined)
})

test('unverified nodes fill free slots only, and go bad after one failure', () => {
  const cfg = config()
  const table = new RoutingTable(own, cfg, T0)
  const a = nextAddress()
  assert.equal(table.heard(T0, randomIdInBucket(own, 0, random), a, 'learned').outcome, 'added')
  const node = table.find(a)
  assert.ok(node !== undefined)
  assert.equal(nodeState(node, T0, cfg), 'questionable')
  table.failed(T0, a)
  assert.equal(nodeState(node, T0, cfg), 'bad')
  assert.equal(table.closest(T0, own, 8).length, 0, 'bad nodes are not handed out')
})

test('per-IP and per-subnet limits; local addresses exempt when configured', () => {
  const table = new RoutingTable(own, config(), T0)
  const id = (): Id160 => randomIdInBucket(own, 0, random)
  assert.equal(table.heard(T0, id(), { host: '30.0.0.1', port: 1 }, 'response').outcome, 'added')
  assert.equal(
    table.heard(T0, id(), { host: '30.0.0.1', port: 2 }, 'response').outcome,
    'rejected_ip',
  )
  assert.equal(table.heard(T0, id(), { host: '30.0.0.2', port: 1 }, 'response').outcome, 'added')
  assert.equal(
    table.heard(T0, id(), { host: '30.0.0.3', port: 1 }, 'response').outcome,
    'rejected_ip',
  )
  const exempt = new RoutingTable(own, config({ exemptLocalFromIpLimits: true }), T0)
  for (let port = 1; port <= 5; port++) {
    assert.equal(exempt.heard(T0, id(), { host: '127.0.0.1', port }, 'response').outcome, 'added')
  }
})

test('BEP 42 enforcement refuses ids that do not match the IP', () => {
  const table = new RoutingTable(own, config({ enforceBep42: true }), T0)
  const host = '124.31.75.21'
  assert.equal(
    table.heard(T0, bep42Id(host, random) as Id160, { host, port: 1 }, 'response').outcome,
    'added',
  )
  const wrong = bep42Id('8.8.8.8', random) as Id160
  assert.equal(
    table.heard(T0, wrong, { host: '9.9.9.9', port: 1 }, 'response').outcome,
    'rejected_bep42',
  )
  // Local addresses are exempt.
  assert.equal(table.heard(T0, wrong, { host: '10.0.0.1', port: 1 }, 'response').outcome, 'added')
})

test('an address answering with a new id replaces the old entry; our own id is refused', () => {
  const table = new RoutingTable(own, config(), T0)
  const a = nextAddress()
  table.heard(T0, randomIdInBucket(own, 0, random), a, 'response')
  const newId = randomIdInBucket(own, 1, random)
  table.heard(T0, newId, a, 'response')
  assert.equal(table.size, 1)
  assert.deepEqual(table.find(a)?.id, newId)
  assert.equal(table.heard(T0, own, nextAddress(), 'response').outcome, 'rejected_self')
})

test('a node answering under a new id in another bucket evicts its old entry; hearsay does not', () => {
  const table = new RoutingTable(own, config(), T0)
  // Nodes in buckets 0 to 4, so the table has split and the two ids file apart.
  for (let i = 0; i < 20; i++)
    table.heard(T0, randomIdInBucket(own, i % 5, random), nextAddress(), 'response')
  assert.ok(table.buckets.length >= 4)
  const a = nextAddress()
  const oldId = randomIdInBucket(own, 3, random)
  assert.equal(table.heard(T0, oldId, a, 'response').outcome, 'added')
  const size = table.size
  // A third party naming the address under another id proves nothing.
  table.heard(T0, randomIdInBucket(own, 0, random), a, 'learned')
  assert.deepEqual(table.find(a)?.id, oldId)
  // The node itself queries us as another id, filed in bucket 1: the old entry gives way to it.
  const newId = randomIdInBucket(own, 1, random)
  assert.equal(table.heard(T0, newId, a, 'query').outcome, 'added')
  const atA = [...table.allNodes()].filter((n) => n.host === a.host && n.port === a.port)
  assert.deepEqual(
    atA.map((n) => n.id),
    [newId],
    'no entry keeps the old id',
  )
  assert.equal(table.size, size)
  // An answer under another id than the one we addressed (`forget`) drops the entry at once.
  table.forget(T0, a, randomIdInBucket(own, 1, random))
  assert.deepEqual(table.find(a)?.id, newId, 'only the entry under the id we addressed goes')
  table.forget(T0, a, newId)
  assert.equal(table.find(a), undefined)
  assert.equal(table.size, size - 1)
})

test('closest returns nodes in XOR order and refresh picks idle buckets', () => {
  const table = new RoutingTable(own, config(), T0)
  for (let i = 0; i < 40; i++)
    table.heard(T0, randomIdInBucket(own, i % 5, random), nextAddress(), 'response')
  const target = randomIdInBucket(own, 3, random)
  const closest = table.closest(T0, target, 8)
  for (let i = 1; i < closest.length; i++) {
    const prev = closest[i - 1]?.id as Id160
    const cur = closest[i]?.id as Id160
    assert.ok(commonPrefixLength(prev, target) >= commonPrefixLength(cur, target))
  }
  assert.deepEqual(table.bucketsToRefresh(instant(minutes(1))), [])
  assert.ok(table.bucketsToRefresh(instant(minutes(15))).length > 0)
})

test("libtorrent's extended table: far buckets hold k * 16, 8, 4, 2 once split; the last holds k", () => {
  const own = new Uint8Array(20) as Id160
  const table = new RoutingTable(own, config({ bucketSizeMultipliers: [16, 8, 4, 2] }), T0)
  // 200 nodes sharing no bit with us (first bit 1), then one sharing 1 bit, to force splits.
  const far = (i: number): Id160 => {
    const id = new Uint8Array(20)
    id[0] = 0x80
    id[18] = i >> 8
    id[19] = i & 0xff
    return id as Id160
  }
  for (let i = 0; i < 8; i++) table.heard(T0, far(i), nextAddress(), 'response')
  assert.equal(table.buckets.length, 1)
  const near = new Uint8Array(20)
  near[0] = 0x40
  table.heard(T0, near as Id160, nextAddress(), 'response')
  assert.equal(table.buckets.length, 2, 'the full last bucket split')
  for (let i = 8; i < 200; i++) table.heard(T0, far(i), nextAddress(), 'response')
  assert.equal(table.buckets[0]?.nodes.length, 128)
  assert.equal(table.bucketLimit(0), 128)
  assert.equal(table.bucketLimit(1), 8, 'the last bucket holds k until it splits')
})

test('a replacement whose IP is already in the table is cached but never promoted', () => {
  const cfg = config()
  const table = new RoutingTable(own, cfg, T0)
  const addresses = Array.from({ length: 8 }, nextAddress)
  addresses.forEach((a) => table.heard(T0, randomIdInBucket(own, 0, random), a, 'response'))
  // Same IP as a node in the table, another port: the cache takes it (checked on promotion).
  const twin = { host: (addresses[1] as { host: string }).host, port: 7000 }
  const result = table.heard(T0, randomIdInBucket(own, 0, random), twin, 'response')
  assert.equal(result.outcome, 'replacement')
  const first = addresses[0] as { host: string; port: number }
  table.failed(T0, first)
  table.failed(T0, first)
  assert.equal(table.find(first), undefined, 'the bad node left')
  assert.equal(table.find(twin), undefined, 'the twin was not promoted: one node per IP')
  assert.equal(table.size, 7)
})

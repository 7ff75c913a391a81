import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address } from '../../core/address.js'
import type { Id160 } from '../../core/id.js'
import { SeededRandom } from '../../core/random.js'
import { instant, minutes } from '../../core/time.js'
import { dhtConfig } from './config.js'
import { DhtNode } from './node.js'
import { NodeHashingForTests } from './test-hashing.js'

const hashing = new NodeHashingForTests()
const ownId = new Uint8Array(20) as Id160
const known = [1, 2, 3, 4, 5, 6].map((i) => ({
  id: new Uint8Array(20).fill(0x10 * i) as Id160,
  address: address(`10.0.0.${i}`, 6881),
}))

function sentAfterStaleness(refreshByQuery: boolean): { method: string; to: string }[] {
  const config = dhtConfig({ refreshByQuery, routing: { exemptLocalFromIpLimits: true } })
  const dht = new DhtNode(
    instant(0),
    { random: new SeededRandom(1), hashing },
    { config, id: ownId, nodes: known },
  )
  dht.takeOutputs()
  dht.timeout(instant(minutes(16)))
  return dht
    .takeOutputs()
    .flatMap((o) =>
      o.type === 'send' && o.message.type === 'query'
        ? [{ method: o.message.query.method, to: o.to.host }]
        : [],
    )
}

test("refreshByQuery: a stale bucket gets one find_node (libtorrent's), not a lookup (BEP 5's)", () => {
  const lookup = sentAfterStaleness(false)
  assert.ok(lookup.length > 1, `a lookup asks several nodes at once: ${lookup.length}`)
  const single = sentAfterStaleness(true)
  assert.equal(single.length, 1)
  assert.equal(single[0]?.method, 'find_node')
  assert.ok(
    known.some((n) => n.address.host === single[0]?.to),
    'to a node of the bucket',
  )
})

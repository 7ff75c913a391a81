import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address } from '../../core/address.js'
import type { Id160 } from '../../core/id.js'
import { SeededRandom } from '../../core/random.js'
import { instant, minutes } from '../../core/time.js'
import { refreshJitter } from './bucket-refresh.js'
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

/** The instant node `seed` first sends a refresh find_node (its table filled at 0). */
function firstRefreshAt(seed: number): number {
  const config = dhtConfig({ refreshByQuery: true, routing: { exemptLocalFromIpLimits: true } })
  const dht = new DhtNode(
    instant(0),
    { random: new SeededRandom(seed), hashing },
    { config, id: ownId, nodes: known },
  )
  dht.takeOutputs()
  for (let step = 0; step < 1000; step++) {
    const at = dht.nextTimeout()
    if (at === undefined) break
    dht.timeout(at)
    const sent = dht.takeOutputs()
    if (sent.some((o) => o.type === 'send' && o.message.type === 'query')) return at
  }
  throw new Error('no refresh sent')
}

test('refresh times are jittered: nodes whose tables filled together do not refresh in step', () => {
  const times = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(firstRefreshAt)
  for (const t of times) {
    // A bucket goes stale after refreshAfter (15 min), then waits up to one refreshSpacing.
    assert.ok(t >= minutes(15) && t < minutes(16), `first refresh at ${t} ms`)
  }
  assert.ok(new Set(times).size >= 9, `distinct first refresh times: ${times.join(', ')}`)
  assert.ok(Math.max(...times) - Math.min(...times) > 20_000, 'spread over more than 20 s')
})

test('refreshJitter: the next refresh in [spacing/2, 3 spacing/2), its mean the spacing', () => {
  const random = new SeededRandom(7)
  let sum = 0
  for (let i = 0; i < 2000; i++) {
    const j = refreshJitter(1000, 60_000, random)
    assert.ok(j.notBefore >= 31_000 && j.notBefore < 91_000, `notBefore ${j.notBefore}`)
    assert.ok(j.slack >= 0 && j.slack < 60_000, `slack ${j.slack}`)
    sum += j.notBefore - 1000
  }
  assert.ok(Math.abs(sum / 2000 - 60_000) < 2_000, `mean spacing ${sum / 2000}`)
})

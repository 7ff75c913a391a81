import assert from 'node:assert/strict'
import { test } from 'node:test'
import { addressKey } from '../../core/address.js'
import { utf8 } from '../../core/bytes.js'
import { SeededRandom } from '../../core/random.js'
import { RingOracle } from './oracle.js'
import { Ring } from './ring.js'
import { ChordTestNet } from './test-net.js'

const FAST = {
  bits: 32,
  successors: 4,
  replicas: 3,
  stabilizeMs: 500,
  fixFingersMs: 100,
  checkPredecessorMs: 500,
  replicateMs: 2000,
  rpcTimeoutMs: 200,
  recursive: true,
}
const ring = new Ring(FAST.bits)

function joinedRing(n: number, seed: number): ChordTestNet {
  const net = new ChordTestNet(FAST, seed)
  net.add(0)
  for (let i = 1; i < n; i++) {
    net.add(i).join(net.now, [net.addressOf(0)])
    net.run(net.now + 300)
  }
  net.run(net.now + 30_000)
  return net
}

const liveOracle = (net: ChordTestNet): RingOracle =>
  new RingOracle(
    ring,
    [...net.nodes].filter(([k]) => !net.silent.has(k)).map(([, n]) => n.self),
  )

test('chord recursive lookups: the oracle owner, one message a hop plus the answer', () => {
  const net = joinedRing(30, 11)
  const oracle = liveOracle(net)
  const random = new SeededRandom(5)
  const asks: [number, number, bigint][] = []
  for (let i = 0; i < 60; i++) {
    const from = random.int(30)
    const target = BigInt(random.int(2 ** 32))
    asks.push([from, net.node(from).lookup(net.now, ring.toBytes(target)), target])
  }
  net.run(net.now + 2000)
  let remote = 0
  for (const [from, handle, target] of asks) {
    const done = net.done(from, handle)
    assert.equal(done?.owner?.id, ring.hex(oracle.successor(target).id))
    const hops = done?.trace.hops ?? []
    assert.ok(hops.length <= Math.ceil(Math.log2(30)) + 1, `${hops.length} hops`)
    if (hops.length === 0) continue
    remote++
    // Iteratively a hop costs a request and an answer; recursively one forward, plus the answer.
    assert.equal(done?.trace.messages, hops.length + 1)
    assert.equal(hops.at(-1)?.outcome, 'owner')
    assert.ok(hops.slice(0, -1).every((h) => h.outcome === 'next'))
  }
  assert.ok(remote > 40, `${remote} lookups left their node`)
})

test('chord recursive lookups: a route lost at a crashed node is finished iteratively', () => {
  const net = joinedRing(24, 12)
  const asker = net.node(0)
  // Crash the node the asker would forward to first for a target half-way round.
  const target = (asker.self.id + ring.size / 2n) % ring.size
  const first = asker.closestPreceding(target, 1)[0]
  assert.ok(first !== undefined)
  net.silent.add(addressKey(first.address))
  const handle = asker.lookup(net.now, ring.toBytes(target))
  net.run(net.now + 5000)
  const done = net.done(0, handle)
  assert.equal(done?.ok, true)
  const live = liveOracle(net)
  assert.equal(done?.owner?.id, ring.hex(live.successor(target).id))
  assert.equal(done?.trace.hops[0]?.outcome, 'timeout')
  // put and get still work recursively around the failure.
  const put = asker.put(net.now, ring.toBytes(target), utf8('v'))
  net.run(net.now + 5000)
  assert.equal(net.done(0, put)?.ok, true)
  const other = [7, 8].find((i) => net.node(i).self.id !== first.id) as number
  const get = net.node(other).get(net.now, ring.toBytes(target))
  net.run(net.now + 5000)
  assert.deepEqual(net.done(other, get)?.value, utf8('v'))
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RingOracle } from './oracle.js'
import { Ring } from './ring.js'
import { ChordTestNet } from './test-net.js'

/**
 * The lecture's worked example (Kurose and Ross's circular DHT, as in the course notes): a
 * 4-bit ring with peers 1, 3, 4, 5, 8, 10, 12, 14 and "closest" meaning the closest successor.
 * Key 13 is stored at 14 and key 15 at 1. Peer 1 asks "who is responsible for key 1110 (14)?":
 * following successors alone the query travels 1 -> 3 -> 4 -> 5 -> 8 -> 10 -> 12, six messages,
 * and 12 knows its successor 14 is responsible; with finger tables it takes two, 1 -> 10 -> 12
 * (node 1's fingers are 3, 3, 5, 10; node 10's are 12, 12, 14, 3).
 */
const PEERS = [1, 3, 4, 5, 8, 10, 12, 14]
const ring = new Ring(4)
const key = (k: number): Uint8Array => ring.toBytes(BigInt(k))

function stabilizedLectureRing(): ChordTestNet {
  const net = new ChordTestNet({ bits: 4, successors: 3, replicas: 1 })
  const nodes = PEERS.map((p) => net.add(p, BigInt(p)))
  const oracle = new RingOracle(
    ring,
    nodes.map((n) => n.self),
  )
  for (const n of nodes) n.adoptState(oracle.stateOf(n.self.id, 3))
  return net
}

test('lecture: key 13 is stored at peer 14 and key 15 at peer 1', () => {
  const net = stabilizedLectureRing()
  const oracle = new RingOracle(
    ring,
    PEERS.map((p) => net.node(p).self),
  )
  assert.equal(oracle.successor(13n).id, 14n)
  assert.equal(oracle.successor(15n).id, 1n)
  const put13 = net.node(3).put(net.now, key(13), new Uint8Array([13]))
  const put15 = net.node(8).put(net.now, key(15), new Uint8Array([15]))
  net.run(500)
  assert.equal(net.done(3, put13)?.ok, true)
  assert.equal(net.done(8, put15)?.owner?.id, '01')
  assert.deepEqual([...net.node(14).store.keys()], [13n])
  assert.deepEqual([...net.node(1).store.keys()], [15n])
})

test('lecture: node 1 finds the owner of key 14 in 2 messages with fingers, 6 along successors', () => {
  const net = stabilizedLectureRing()
  assert.deepEqual(
    net.node(1).fingers.map((f) => f?.id),
    [3n, 3n, 5n, 10n],
  )
  assert.deepEqual(
    net.node(10).fingers.map((f) => f?.id),
    [12n, 12n, 14n, 3n],
  )
  const withFingers = net.node(1).lookup(net.now, key(14))
  const bySuccessors = net.node(1).lookupBySuccessors(net.now, key(14))
  net.run(500)
  const fast = net.done(1, withFingers)
  const slow = net.done(1, bySuccessors)
  assert.equal(fast?.owner?.id, '0e')
  assert.equal(slow?.owner?.id, '0e')
  assert.equal(fast?.trace.messages, 2)
  assert.deepEqual(
    fast?.trace.hops.map((h) => h.id),
    ['0a', '0c'],
  )
  assert.equal(slow?.trace.messages, 6)
  assert.deepEqual(
    slow?.trace.hops.map((h) => h.id),
    ['03', '04', '05', '08', '0a', '0c'],
  )
})

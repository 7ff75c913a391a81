import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address, addressKey } from '../../core/address.js'
import { utf8 } from '../../core/bytes.js'
import { sha1 } from '../../core/crypto/sha1.js'
import { SeededRandom } from '../../core/random.js'
import { instant } from '../../core/time.js'
import { chordCodec } from './codec.js'
import { ChordNode, type ChordEvent } from './node.js'
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
}

/** n nodes joining one by one through node 0, then time to stabilize. */
function joinedRing(n: number, seed = 7): ChordTestNet {
  const net = new ChordTestNet(FAST, seed)
  net.add(0)
  for (let i = 1; i < n; i++) {
    net.add(i).join(net.now, [net.addressOf(0)])
    net.run(net.now + 300)
  }
  net.run(net.now + 30_000)
  return net
}

function liveOracle(net: ChordTestNet): RingOracle {
  const live = [...net.nodes].filter(([k]) => !net.silent.has(k)).map(([, n]) => n.self)
  return new RingOracle(new Ring(FAST.bits), live)
}

function ringProblems(net: ChordTestNet): string[] {
  const oracle = liveOracle(net)
  const problems: string[] = []
  for (const [key, node] of net.nodes) {
    if (net.silent.has(key)) continue
    const want = oracle.stateOf(node.self.id, FAST.successors)
    if (node.successor.id !== want.successors[0]?.id) problems.push(`${node.id}: successor`)
    if (node.predecessor?.id !== want.predecessor?.id) problems.push(`${node.id}: predecessor`)
  }
  return problems
}

test('chord: 30 nodes join through one; stabilization makes every pointer right', () => {
  const net = joinedRing(30)
  assert.deepEqual(ringProblems(net), [])
  const oracle = liveOracle(net)
  // Fingers converge to the oracle's too.
  for (const node of net.nodes.values()) {
    const want = oracle.stateOf(node.self.id, FAST.successors).fingers.map((f) => f?.id)
    assert.deepEqual(
      node.fingers.map((f) => f?.id),
      want,
      `fingers of ${node.id}`,
    )
  }
  // Every lookup names the oracle's owner.
  const random = new SeededRandom(3)
  const ring = new Ring(FAST.bits)
  const asks: [number, number, bigint][] = []
  for (let i = 0; i < 50; i++) {
    const from = random.int(30)
    const target = BigInt(random.int(2 ** 32))
    asks.push([from, net.node(from).lookup(net.now, ring.toBytes(target)), target])
  }
  net.run(net.now + 2000)
  for (const [from, handle, target] of asks) {
    const done = net.done(from, handle)
    assert.equal(done?.owner?.id, ring.hex(oracle.successor(target).id))
    assert.ok((done?.trace.hops.length ?? 99) <= Math.ceil(Math.log2(30)) + 1)
  }
})

test('chord: put on 3 replicas, get after the owner crashes, keys recovered and re-replicated', () => {
  const net = joinedRing(20, 9)
  const ring = new Ring(FAST.bits)
  const key = ring.toBytes(123_456_789n)
  const put = net.node(5).put(net.now, key, utf8('v'))
  net.run(net.now + 1000)
  assert.equal(net.done(5, put)?.stored, 3)
  const owner = liveOracle(net).successor(123_456_789n)
  net.silent.add(addressKey(owner.address))
  // Right away a get falls back on a replica.
  const asker = [...net.nodes.values()].find((n) => n.self.id !== owner.id) as ChordNode
  const askerIndex = [...net.nodes.values()].indexOf(asker)
  const get = asker.get(net.now, key)
  net.run(net.now + 3000)
  assert.deepEqual(net.done(askerIndex, get)?.value, utf8('v'))
  // After stabilization the successor owns the key again and three live nodes hold it.
  net.run(net.now + 20_000)
  assert.deepEqual(ringProblems(net), [])
  const heir = liveOracle(net).successor(123_456_789n)
  const holders = [...net.nodes].filter(([k, n]) => !net.silent.has(k) && n.store.has(123_456_789n))
  assert.equal(holders.length, 3)
  const recovered = net.events.some(
    (e) =>
      e.node === addressKey(heir.address) &&
      e.event.type === 'keys_moved' &&
      e.event.direction === 'in',
  )
  assert.ok(recovered, 'the heir reports the keys it recovered')
})

test('chord: a graceful leave hands keys to the successor and relinks the neighbours', () => {
  const net = joinedRing(12, 4)
  const ring = new Ring(FAST.bits)
  const oracle = liveOracle(net)
  const leaver = oracle.nodes[4]
  const put = net.node(0).put(net.now, ring.toBytes(leaver?.id as bigint), utf8('x'))
  net.run(net.now + 1000)
  assert.equal(net.done(0, put)?.ok, true)
  const node = net.nodes.get(addressKey(leaver?.address ?? address('0.0.0.0', 1))) as ChordNode
  node.leave(net.now)
  net.flushAll()
  net.silent.add(addressKey(node.self.address))
  net.run(net.now + 100)
  // Relinked at once, without waiting for failure detection.
  assert.deepEqual(ringProblems(net), [])
  const heir = liveOracle(net).successor(leaver?.id as bigint)
  const heirNode = net.nodes.get(addressKey(heir.address)) as ChordNode
  assert.deepEqual(heirNode.store.get(leaver?.id as bigint), utf8('x'))
})

test('chord: bad input is dropped with a reason, never a crash', () => {
  const ring = new Ring(16)
  const codec = chordCodec(ring)
  const hashing = { sha1: (p: readonly Uint8Array[]) => sha1(p), sha256: () => new Uint8Array(32) }
  const me = address('10.0.0.1', 4000)
  const node = new ChordNode(
    instant(0),
    { random: new SeededRandom(1), hashing },
    { config: { bits: 16, idsFromAddress: true }, address: me },
  )
  const peer = address('10.0.0.2', 4000)
  const peerId = ring.fromDigest(sha1([utf8('10.0.0.2:4000')]))
  const drops = (): string[] =>
    node
      .takeOutputs()
      .flatMap((o) =>
        o.type === 'event' && (o.event as ChordEvent).type === 'dropped'
          ? [(o.event as Extract<ChordEvent, { type: 'dropped' }>).reason]
          : [],
      )
  // A node claiming an id that is not SHA-1 of its address.
  node.receive(instant(1), peer, { type: 'notify', tid: 5, sender: (peerId + 1n) % ring.size })
  assert.deepEqual(drops(), ['id_not_owned'])
  // A replayed join (the same notify twice).
  node.receive(instant(2), peer, { type: 'notify', tid: 6, sender: peerId })
  node.receive(instant(3), peer, { type: 'notify', tid: 6, sender: peerId })
  assert.deepEqual(drops(), ['replayed_notify'])
  assert.equal(node.predecessor?.id, peerId)
  // An answer nobody asked for.
  node.receive(instant(4), peer, { type: 'pong', tid: 77, sender: peerId })
  assert.deepEqual(drops(), ['unexpected_answer'])
  // Lookups for ids out of range fail as values.
  const h = node.lookup(instant(5), new Uint8Array([1, 2, 3]))
  const out = node.takeOutputs()
  assert.deepEqual(
    out.map((o) =>
      o.type === 'event' && o.event.type === 'op_done' ? [o.event.handle, o.event.error] : [],
    ),
    [[h, 'id_out_of_range']],
  )
  // Garbage bytes are a decode error (the driver counts and drops them).
  assert.equal(codec.decode(utf8('GET / HTTP/1.1')).ok, false)
})

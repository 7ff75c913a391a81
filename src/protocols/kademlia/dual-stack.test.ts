import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address, addressKey, type Address } from '../../core/address.js'
import { randomId, type Id160 } from '../../core/id.js'
import { SeededRandom } from '../../core/random.js'
import { instant, seconds } from '../../core/time.js'
import { bep42Valid } from './bep42.js'
import { dhtConfig } from './config.js'
import { familyOf } from './family-tables.js'
import type { KrpcMessage } from './messages.js'
import { DhtNode } from './node.js'
import type { DhtEvent } from './operation.js'
import { NodeHashingForTests } from './test-hashing.js'
import { TestNet } from './test-net.js'

/**
 * BEP 32 on dual-stack nodes: one id, a table per family, and every command run in both
 * DHTs. The network mixes dual-stack, IPv4-only and IPv6-only nodes, as the real one does.
 */

const hashing = new NodeHashingForTests()
const config = dhtConfig({ routing: { exemptLocalFromIpLimits: true } })
const v4 = (i: number): Address => address(`10.0.0.${i}`, 6881)
const v6 = (i: number): Address => address(`fd00::${i.toString(16)}`, 6881)
const DUAL = [1, 2, 3, 4, 5, 6, 7, 8]
const V4_ONLY = [9, 10, 11, 12, 13, 14]
const V6_ONLY = [15, 16, 17, 18, 19, 20]

/**
 * Node 1 is the dual-stack bootstrap node. The single-family nodes join first, then the dual
 * ones through node 1's IPv4 address only: their IPv6 tables fill from the `nodes6` of the
 * bootstrap answers.
 */
function mixedNetwork(): TestNet {
  const net = new TestNet()
  const random = new SeededRandom(11)
  const make = (i: number, families: ('ipv4' | 'ipv6')[]): DhtNode =>
    new DhtNode(net.now, { random: random.fork(`n${i}`), hashing }, { config, families })
  for (const i of DUAL) net.addDual(v4(i), v6(i), make(i, ['ipv4', 'ipv6']))
  for (const i of V4_ONLY) net.add(v4(i), make(i, ['ipv4']))
  for (const i of V6_ONLY) net.add(v6(i), make(i, ['ipv6']))
  for (const i of [...V6_ONLY, ...V4_ONLY, ...DUAL.slice(1)]) {
    const joinThrough = V6_ONLY.includes(i) ? v6(1) : v4(1)
    const home = V6_ONLY.includes(i) ? v6(i) : v4(i)
    nodeAt(net, home).bootstrap(net.now, [joinThrough])
    net.run(net.now + seconds(5))
  }
  return net
}

const nodeAt = (net: TestNet, a: Address): DhtNode => net.nodes.get(addressKey(a)) as DhtNode
const eventsOf = (net: TestNet, a: Address): DhtEvent[] =>
  net.events.filter((e) => e.node === addressKey(a)).map((e) => e.event)
const donesOf = (net: TestNet, a: Address, handle: number): Extract<DhtEvent, { type: 'done' }>[] =>
  eventsOf(net, a).flatMap((e) => (e.type === 'done' && e.handle === handle ? [e] : []))
const peersOf = (net: TestNet, a: Address, handle: number): string[] =>
  eventsOf(net, a)
    .flatMap((e) => (e.type === 'peers' && e.handle === handle ? e.peers : []))
    .map(addressKey)
    .sort()

test('BEP 32: a dual-stack node joined over IPv4 fills its IPv6 table from nodes6', () => {
  const net = mixedNetwork()
  for (const i of DUAL.slice(1)) {
    const sizes = nodeAt(net, v4(i)).inspect().tableSizes
    assert.ok((sizes.ipv4 ?? 0) >= 8, `node ${i} IPv4 table: ${sizes.ipv4}`)
    assert.ok((sizes.ipv6 ?? 0) >= 8, `node ${i} IPv6 table: ${sizes.ipv6}`)
    const dual = nodeAt(net, v4(i))
    for (const n of dual.routingFor('ipv6')?.allNodes() ?? []) {
      assert.equal(familyOf(n.address.host), 'ipv6')
    }
    for (const n of dual.routingFor('ipv4')?.allNodes() ?? []) {
      assert.equal(familyOf(n.address.host), 'ipv4')
    }
  }
  // The single-family nodes learned of the dual ones in their own family only.
  for (const n of nodeAt(net, v6(17)).routing.allNodes()) {
    assert.equal(familyOf(n.address.host), 'ipv6')
  }
})

test('BEP 32: an announce from a dual-stack node is found in each family with that family’s address', () => {
  const net = mixedNetwork()
  const infoHash = randomId(new SeededRandom(12))
  const announcer = v4(3)
  const handle = nodeAt(net, announcer).announcePeer(net.now, infoHash, 7000)
  net.run(net.now + seconds(30))
  const announced = donesOf(net, announcer, handle)
  assert.equal(announced.length, 1, 'one done for the command')
  const stores = announced[0] as Extract<DhtEvent, { type: 'done' }>
  const families = new Set(stores.closest.map((n) => familyOf(n.address.host)))
  assert.deepEqual([...families].sort(), ['ipv4', 'ipv6'], 'stored in both DHTs')
  assert.ok(stores.stored >= 4, `stored on ${stores.stored} nodes`)

  const only6 = nodeAt(net, v6(17)).getPeers(net.now, infoHash)
  const only4 = nodeAt(net, v4(10)).getPeers(net.now, infoHash)
  const dual = nodeAt(net, v4(6)).getPeers(net.now, infoHash)
  net.run(net.now + seconds(30))
  assert.deepEqual(peersOf(net, v6(17), only6), ['[fd00::3]:7000'])
  assert.deepEqual(peersOf(net, v4(10), only4), ['10.0.0.3:7000'])
  assert.deepEqual(peersOf(net, v4(6), dual), ['10.0.0.3:7000', '[fd00::3]:7000'])
  const found = donesOf(net, v4(6), dual)
  assert.equal(found.length, 1)
  assert.equal(found[0]?.peersFound, 2)
  assert.equal(nodeAt(net, v4(6)).inspect().operations, 0)
})

test('BEP 32: each part of a dual-stack lookup queries its own family and wants its nodes only', () => {
  const net = mixedNetwork()
  const dual = nodeAt(net, v4(4))
  dual.lookup(net.now, randomId(new SeededRandom(13)))
  const sent = dual.takeOutputs().flatMap((o) => (o.type === 'send' ? [o] : []))
  const families = new Set(sent.map((o) => familyOf(o.to.host)))
  assert.deepEqual([...families].sort(), ['ipv4', 'ipv6'])
  for (const o of sent) {
    assert.ok(o.message.type === 'query' && o.message.query.method === 'find_node')
    const isV6 = familyOf(o.to.host) === 'ipv6'
    assert.deepEqual(o.message.query.want, { n4: !isV6, n6: isV6 })
  }
})

test('BEP 32: a dual-stack bootstrap through one IPv6 node with nothing known ends with one done', () => {
  const net = new TestNet()
  const random = new SeededRandom(14)
  const make = (i: number, families: ('ipv4' | 'ipv6')[]): DhtNode =>
    new DhtNode(net.now, { random: random.fork(`n${i}`), hashing }, { config, families })
  net.add(v6(1), make(1, ['ipv6']))
  const dual = net.addDual(v4(2), v6(2), make(2, ['ipv4', 'ipv6']))
  const handle = dual.bootstrap(net.now, [v6(1)])
  net.run(net.now + seconds(30))
  const done = donesOf(net, v4(2), handle)
  assert.equal(done.length, 1)
  // The bootstrap node answered (it entered the IPv6 table) but named nobody.
  assert.equal(done[0]?.trace.messages, 1)
  assert.deepEqual(dual.inspect().tableSizes, { ipv4: 0, ipv6: 1 })
  assert.equal(dual.inspect().operations, 0)
})

test('BEP 42 per family: IPv6 responders set our IPv6 address; only our IPv4 one moves our id', () => {
  const dual = new DhtNode(
    instant(0),
    { random: new SeededRandom(15), hashing },
    { config, families: ['ipv4', 'ipv6'] },
  )
  const before = dual.id
  const answerPing = (from: Address, seenAs: Address, id: Id160): void => {
    dual.ping(instant(0), from)
    const query = dual
      .takeOutputs()
      .flatMap((o) => (o.type === 'send' && o.message.type === 'query' ? [o.message] : []))[0]
    assert.ok(query !== undefined)
    const response: KrpcMessage = { type: 'response', t: query.t, ip: seenAs, body: { id } }
    dual.receive(instant(1), from, response)
  }
  const public6 = address('2a01:4f8::5', 6881)
  answerPing(address('2a01:4f8::100', 6881), public6, randomId(new SeededRandom(1)))
  answerPing(address('2a01:4f8::200', 6881), public6, randomId(new SeededRandom(2)))
  assert.deepEqual(dual.externalFor('ipv6'), public6)
  assert.equal(dual.externalFor('ipv4'), undefined)
  assert.deepEqual(dual.id, before, 'an IPv6 address does not move the id of a dual-stack node')
  // An IPv6 responder cannot vote for an IPv4 address, nor the other way round.
  answerPing(
    address('2a01:4f8::300', 6881),
    address('198.51.100.1', 1),
    randomId(new SeededRandom(3)),
  )
  answerPing(
    address('2a01:4f8::400', 6881),
    address('198.51.100.1', 1),
    randomId(new SeededRandom(4)),
  )
  assert.equal(dual.externalFor('ipv4'), undefined)
  const public4 = address('203.0.113.7', 6881)
  answerPing(address('198.51.100.10', 6881), public4, randomId(new SeededRandom(5)))
  answerPing(address('198.51.100.20', 6881), public4, randomId(new SeededRandom(6)))
  assert.deepEqual(dual.externalFor('ipv4'), public4)
  assert.ok(bep42Valid(dual.id, public4.host), 'the id follows the IPv4 address (BEP 42)')
})

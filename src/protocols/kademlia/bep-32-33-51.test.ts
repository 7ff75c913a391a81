import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address, addressKey, type Address } from '../../core/address.js'
import type { IpFamily } from '../../core/compact-peers.js'
import { randomId, type Id160 } from '../../core/id.js'
import { SeededRandom } from '../../core/random.js'
import { instant, minutes, seconds } from '../../core/time.js'
import { dhtConfig } from './config.js'
import { decodeKrpc, encodeKrpc } from './krpc-codec.js'
import type { KrpcMessage } from './messages.js'
import { DhtNode } from './node.js'
import type { DhtEvent } from './operation.js'
import { NodeHashingForTests } from './test-hashing.js'
import { TestNet } from './test-net.js'

const hashing = new NodeHashingForTests()
const config = dhtConfig({ routing: { exemptLocalFromIpLimits: true } })
const v4 = (i: number): Address => address(`10.0.0.${i}`, 6881)
const v6 = (i: number): Address => address(`fd00::${i.toString(16)}`, 6881)

function swarm(count: number, families: readonly IpFamily[], at: (i: number) => Address): TestNet {
  const net = new TestNet()
  const random = new SeededRandom(5)
  for (let i = 1; i <= count; i++) {
    const node = new DhtNode(
      net.now,
      { random: random.fork(`n${i}`), hashing },
      { config, families },
    )
    net.add(at(i), node)
  }
  for (let i = 2; i <= count; i++) {
    ;(net.nodes.get(addressKey(at(i))) as DhtNode).bootstrap(net.now, [at(1)])
    net.run(net.now + seconds(5))
  }
  return net
}

const nodeAt = (net: TestNet, a: Address): DhtNode => net.nodes.get(addressKey(a)) as DhtNode
const eventsOf = (net: TestNet, a: Address): DhtEvent[] =>
  net.events.filter((e) => e.node === addressKey(a)).map((e) => e.event)
const doneOf = (net: TestNet, a: Address, handle: number): Extract<DhtEvent, { type: 'done' }> => {
  const done = eventsOf(net, a).find((e) => e.type === 'done' && e.handle === handle)
  assert.ok(done?.type === 'done', `operation ${handle} not done`)
  return done
}

/** The single reply `server` gives to `query` from `from`, decoded from its bytes. */
function ask(server: DhtNode, from: Address, query: KrpcMessage & { type: 'query' }): KrpcMessage {
  const decoded = decodeKrpc(encodeKrpc(query))
  assert.ok(decoded.ok)
  server.receive(instant(1000), from, decoded.value)
  const sent = server.takeOutputs().filter((o) => o.type === 'send')
  assert.equal(sent.length, 1)
  const bytes = encodeKrpc((sent[0] as { message: KrpcMessage }).message)
  const back = decodeKrpc(bytes)
  assert.ok(back.ok)
  return back.value
}

const querier = new Uint8Array(20).fill(7) as Id160

test('BEP 51: a node samples the info-hashes it stores, keeps a full sample for interval', () => {
  const net = swarm(12, ['ipv4'], v4)
  const random = new SeededRandom(9)
  const hashes = Array.from({ length: 30 }, () => randomId(random))
  // Announce every hash from several nodes, so that node 1 holds some.
  for (const [i, h] of hashes.entries())
    nodeAt(net, v4(2 + (i % 10))).announcePeer(net.now, h, 7000 + i)
  net.run(net.now + seconds(30))
  const server = nodeAt(net, v4(1))
  const held = server.inspect().peersStored
  assert.ok(held > 0, 'node 1 stores peers')
  const handle = nodeAt(net, v4(5)).sampleInfohashes(net.now, v4(1), randomId(random))
  net.run(net.now + seconds(5))
  const samples = eventsOf(net, v4(5)).find((e) => e.type === 'samples' && e.handle === handle)
  assert.ok(samples?.type === 'samples')
  assert.equal(samples.interval, 6 * 3600, "libtorrent's default interval")
  assert.ok(samples.num !== undefined && samples.num > 0)
  assert.equal(samples.samples.length, Math.min(20, samples.num))
  assert.ok(samples.nodes.length > 0, 'nodes near the target for a traversal')
  assert.equal(doneOf(net, v4(5), handle).closest.length, 1)

  // The answering side alone: a full sample stays put within the interval, then changes.
  const lone = new DhtNode(
    instant(0),
    { random: new SeededRandom(3), hashing },
    {
      config: dhtConfig({ routing: { exemptLocalFromIpLimits: true }, samplesMax: 4 }),
    },
  )
  for (let i = 0; i < 10; i++) {
    const token = ask(lone, v4(50 + i), {
      type: 'query',
      t: Uint8Array.of(1),
      id: querier,
      readOnly: false,
      query: { method: 'get_peers', infoHash: hashes[i] as Id160 },
    })
    assert.ok(token.type === 'response' && token.body.token !== undefined)
    ask(lone, v4(50 + i), {
      type: 'query',
      t: Uint8Array.of(2),
      id: querier,
      readOnly: false,
      query: {
        method: 'announce_peer',
        infoHash: hashes[i] as Id160,
        port: 1000 + i,
        token: token.body.token,
        impliedPort: false,
      },
    })
  }
  const sample = (at: number): string[] => {
    const r = ask(lone, v4(99), {
      type: 'query',
      t: Uint8Array.of(3),
      id: querier,
      readOnly: false,
      query: { method: 'sample_infohashes', target: querier },
    })
    assert.ok(r.type === 'response' && r.body.samples !== undefined)
    assert.equal(r.body.num, 10)
    void at
    return r.body.samples.map((s) => Buffer.from(s).toString('hex')).sort()
  }
  const first = sample(0)
  assert.equal(first.length, 4)
  assert.deepEqual(sample(1), first, 'the same sample within the interval')
})

test('BEP 51: an empty store still answers with an empty samples string', () => {
  const lone = new DhtNode(instant(0), { random: new SeededRandom(3), hashing }, { config })
  const r = ask(lone, v4(9), {
    type: 'query',
    t: Uint8Array.of(3),
    id: querier,
    readOnly: false,
    query: { method: 'sample_infohashes', target: querier },
  })
  assert.ok(r.type === 'response')
  assert.deepEqual(r.body.samples, [])
  assert.equal(r.body.num, 0)
})

test('BEP 33: seeds and leechers announced are estimated by a scrape; noseed puts leechers first', () => {
  const net = swarm(16, ['ipv4'], v4)
  const infoHash = randomId(new SeededRandom(4))
  // Nodes 2..5 seed, 6..13 leech: every announcer has its own IP.
  for (let i = 2; i <= 13; i++) {
    nodeAt(net, v4(i)).announcePeer(net.now, infoHash, 7000, false, { seed: i <= 5 })
  }
  net.run(net.now + seconds(30))
  const handle = nodeAt(net, v4(14)).getPeers(net.now, infoHash, { scrape: true })
  net.run(net.now + seconds(30))
  const done = doneOf(net, v4(14), handle)
  assert.ok(done.scrape !== undefined)
  assert.ok(done.scrape.responders > 0)
  assert.ok(Math.abs(done.scrape.seeds - 4) < 1, `seeds ${done.scrape.seeds}`)
  assert.ok(Math.abs(done.scrape.peers - 8) < 1.5, `peers ${done.scrape.peers}`)

  // noseed: with room for one value, a leecher comes back, not the seed announced last.
  const lone = new DhtNode(
    instant(0),
    { random: new SeededRandom(3), hashing },
    {
      config: dhtConfig({ routing: { exemptLocalFromIpLimits: true }, valuesPerResponseMax: 1 }),
    },
  )
  for (const [i, seed] of [
    [60, false],
    [61, true],
  ] as const) {
    const r = ask(lone, v4(i), {
      type: 'query',
      t: Uint8Array.of(1),
      id: querier,
      readOnly: false,
      query: { method: 'get_peers', infoHash },
    })
    assert.ok(r.type === 'response' && r.body.token !== undefined)
    ask(lone, v4(i), {
      type: 'query',
      t: Uint8Array.of(2),
      id: querier,
      readOnly: false,
      query: {
        method: 'announce_peer',
        infoHash,
        port: 5000,
        token: r.body.token,
        impliedPort: false,
        seed,
      },
    })
  }
  const plain = ask(lone, v4(70), {
    type: 'query',
    t: Uint8Array.of(4),
    id: querier,
    readOnly: false,
    query: { method: 'get_peers', infoHash },
  })
  const noseed = ask(lone, v4(70), {
    type: 'query',
    t: Uint8Array.of(4),
    id: querier,
    readOnly: false,
    query: { method: 'get_peers', infoHash, noseed: true, scrape: true },
  })
  assert.ok(plain.type === 'response' && noseed.type === 'response')
  assert.equal(plain.body.values?.[0]?.host, '10.0.0.61', 'the latest announce first')
  assert.equal(noseed.body.values?.[0]?.host, '10.0.0.60', 'the leecher first')
  assert.equal(noseed.body.bfsd?.length, 256)
  assert.equal(plain.body.bfsd, undefined, 'no filters without scrape=1')
})

test('BEP 32: an IPv6 network on its own tables; want picks nodes / nodes6; values by family', () => {
  const net = swarm(20, ['ipv6'], v6)
  const target = randomId(new SeededRandom(8))
  const handle = nodeAt(net, v6(7)).lookup(net.now, target)
  net.run(net.now + seconds(30))
  const done = doneOf(net, v6(7), handle)
  assert.equal(done.closest.length, 8)
  assert.ok(done.closest.every((n) => n.address.host.includes(':')))
  assert.equal(nodeAt(net, v6(7)).inspect().tableSizes.ipv6, nodeAt(net, v6(7)).inspect().tableSize)

  // A dual-stack node with one table per family answers by want (read-only queriers, BEP 43,
  // so that they do not enter its tables), else by transport family.
  const dual = new DhtNode(
    instant(0),
    { random: new SeededRandom(2), hashing },
    {
      config,
      families: ['ipv4', 'ipv6'],
    },
  )
  for (let i = 1; i <= 5; i++) {
    dual.receive(instant(0), v4(i), {
      type: 'query',
      t: Uint8Array.of(i),
      id: randomId(new SeededRandom(200 + i)),
      readOnly: false,
      query: { method: 'ping' },
    })
    dual.receive(instant(0), v6(i), {
      type: 'query',
      t: Uint8Array.of(i),
      id: randomId(new SeededRandom(100 + i)),
      readOnly: false,
      query: { method: 'ping' },
    })
  }
  dual.takeOutputs()
  assert.deepEqual(dual.inspect().tableSizes, { ipv4: 5, ipv6: 5 })
  const findNode = (from: Address, want?: { n4: boolean; n6: boolean }): KrpcMessage =>
    ask(dual, from, {
      type: 'query',
      t: Uint8Array.of(9),
      id: querier,
      readOnly: true,
      query: { method: 'find_node', target, ...(want === undefined ? {} : { want }) },
    })
  const overV4 = findNode(v4(40))
  const overV6 = findNode(v6(40))
  const both = findNode(v4(40), { n4: true, n6: true })
  const only6 = findNode(v4(40), { n4: false, n6: true })
  assert.ok(overV4.type === 'response' && overV6.type === 'response')
  assert.ok(both.type === 'response' && only6.type === 'response')
  assert.equal(overV4.body.nodes?.length, 5)
  assert.equal(overV4.body.nodes6, undefined)
  assert.equal(overV6.body.nodes, undefined)
  assert.equal(overV6.body.nodes6?.length, 5)
  assert.equal(both.body.nodes?.length, 5)
  assert.equal(both.body.nodes6?.length, 5)
  assert.equal(only6.body.nodes, undefined)
  assert.equal(only6.body.nodes6?.length, 5)

  // A dual-stack bootstrap asks for both lists; later queries only for the queried family's.
  dual.bootstrap(instant(0), [v4(1)])
  const sent = dual.takeOutputs().flatMap((o) => (o.type === 'send' ? [o.message] : []))
  const boot = sent.find((m) => m.type === 'query' && m.query.method === 'find_node')
  assert.ok(boot?.type === 'query' && boot.query.method === 'find_node')
  assert.deepEqual(boot.query.want, { n4: true, n6: true })
  dual.lookup(instant(0), target)
  const later = dual
    .takeOutputs()
    .flatMap((o) => (o.type === 'send' && o.message.type === 'query' ? [o] : []))
  assert.ok(later.length > 0)
  for (const o of later) {
    assert.ok(
      o.type === 'send' && o.message.type === 'query' && o.message.query.method === 'find_node',
    )
    const isV6 = o.to.host.includes(':')
    assert.deepEqual(o.message.query.want, { n4: !isV6, n6: isV6 })
  }
})

test('BEP 32: values over IPv4 hold IPv4 peers only, over IPv6 IPv6 peers only', () => {
  const lone = new DhtNode(instant(0), { random: new SeededRandom(3), hashing }, { config })
  const infoHash = randomId(new SeededRandom(4))
  for (const from of [v4(1), v6(1)]) {
    const r = ask(lone, from, {
      type: 'query',
      t: Uint8Array.of(1),
      id: querier,
      readOnly: false,
      query: { method: 'get_peers', infoHash },
    })
    assert.ok(r.type === 'response' && r.body.token !== undefined)
    ask(lone, from, {
      type: 'query',
      t: Uint8Array.of(2),
      id: querier,
      readOnly: false,
      query: {
        method: 'announce_peer',
        infoHash,
        port: 4000,
        token: r.body.token,
        impliedPort: false,
      },
    })
  }
  const viaV4 = ask(lone, v4(2), {
    type: 'query',
    t: Uint8Array.of(3),
    id: querier,
    readOnly: false,
    query: { method: 'get_peers', infoHash },
  })
  const viaV6 = ask(lone, v6(2), {
    type: 'query',
    t: Uint8Array.of(3),
    id: querier,
    readOnly: false,
    query: { method: 'get_peers', infoHash },
  })
  assert.ok(viaV4.type === 'response' && viaV6.type === 'response')
  assert.deepEqual(
    viaV4.body.values?.map((a) => a.host),
    ['10.0.0.1'],
  )
  assert.deepEqual(
    viaV6.body.values?.map((a) => a.host),
    ['fd00::1'],
  )
  void minutes
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address, addressKey, type Address } from '../../core/address.js'
import { toHex, utf8 } from '../../core/bytes.js'
import { compareDistance, randomId, type Id160 } from '../../core/id.js'
import { SeededRandom } from '../../core/random.js'
import { instant, seconds } from '../../core/time.js'
import { dhtConfig, type DhtConfig } from './config.js'
import { KRPC_ERROR, type KrpcMessage } from './messages.js'
import { DhtNode } from './node.js'
import type { DhtEvent } from './operation.js'
import { exportState, importState } from './persistence.js'
import { FakeEd25519 } from './test-ed25519.js'
import { NodeHashingForTests } from './test-hashing.js'
import { TestNet } from './test-net.js'

const hashing = new NodeHashingForTests()
const ed25519 = new FakeEd25519(hashing)
const localConfig = dhtConfig({ routing: { exemptLocalFromIpLimits: true } })
const addr = (i: number): Address => address(`10.0.${i >> 8}.${i & 255}`, 6881)

function network(count: number, seed: number, config: DhtConfig = localConfig): TestNet {
  const net = new TestNet()
  const random = new SeededRandom(seed)
  for (let i = 0; i < count; i++) {
    net.add(
      addr(i),
      new DhtNode(net.now, { random: random.fork(`n${i}`), hashing, ed25519 }, { config }),
    )
  }
  // Each node joins through node 0 in turn, as a swarm grows.
  for (let i = 1; i < count; i++) {
    node(net, i).bootstrap(net.now, [addr(0)])
    net.run(net.now + seconds(5))
  }
  return net
}

const node = (net: TestNet, i: number): DhtNode => net.nodes.get(addressKey(addr(i))) as DhtNode
/** The done event of operation `handle` on the node at `at` (handles are per node). */
const doneOf = (net: TestNet, handle: number, at: Address): Extract<DhtEvent, { type: 'done' }> => {
  const key = addressKey(at)
  const done = net.events
    .filter((e) => e.node === key)
    .map((e) => e.event)
    .reverse() // the latest: a node replaced at the same address reuses handles
    .find((e) => e.type === 'done' && e.handle === handle)
  assert.ok(done !== undefined && done.type === 'done', `operation ${handle} not done`)
  return done
}

test('lookups find the true k closest nodes in a 64-node network', () => {
  const net = network(64, 1)
  const random = new SeededRandom(99)
  const all = [...net.nodes.values()]
  for (let round = 0; round < 10; round++) {
    const target = randomId(random)
    const index = 1 + random.int(63)
    const from = node(net, index)
    const handle = from.lookup(net.now, target)
    net.run(net.now + seconds(30))
    const done = doneOf(net, handle, addr(index))
    const expected = all
      .filter((n) => n !== from)
      .map((n) => n.id)
      .sort((a, b) => compareDistance(target, a, b))
      .slice(0, 8)
      .map((id) => toHex(id))
    assert.deepEqual(
      done.closest.map((n) => toHex(n.id)),
      expected,
    )
    assert.ok(done.trace.hops >= 1 && done.trace.hops <= 6, `hops ${done.trace.hops}`)
    assert.ok(done.trace.messages >= done.trace.nodesContacted)
    assert.ok(done.trace.finishedAt >= done.trace.startedAt)
  }
  for (const n of all) {
    assert.ok(n.routing.size > 0)
    assert.ok(n.routing.buckets.every((b, i) => b.nodes.length <= n.routing.bucketLimit(i)))
  }
})

test('announce then get_peers finds the announced peer; tokens are required', () => {
  const net = network(40, 2)
  const infoHash = randomId(new SeededRandom(3))
  const announce = node(net, 5).announcePeer(net.now, infoHash, 7777)
  net.run(net.now + seconds(30))
  const announced = doneOf(net, announce, addr(5))
  assert.ok(announced.stored >= 6, `stored on ${announced.stored}`)
  const search = node(net, 30).getPeers(net.now, infoHash)
  net.run(net.now + seconds(30))
  const peers = net.events
    .filter((e) => e.node === addressKey(addr(30)))
    .flatMap(({ event: e }) => (e.type === 'peers' && e.handle === search ? e.peers : []))
  assert.deepEqual(peers, [address(addr(5).host, 7777)])
  assert.equal(doneOf(net, search, addr(30)).peersFound, 1)
  // implied_port: the source port stands in.
  const implied = node(net, 6).announcePeer(net.now, infoHash, 0, true)
  net.run(net.now + seconds(30))
  assert.ok(doneOf(net, implied, addr(6)).stored > 0)
})

test('a wrong token is refused with 203', () => {
  const net = new TestNet()
  const server = net.add(addr(1), new DhtNode(net.now, { random: new SeededRandom(1), hashing }))
  server.receive(net.now, addr(2), {
    type: 'query',
    t: Uint8Array.of(0, 1),
    id: randomId(new SeededRandom(2)),
    readOnly: false,
    query: {
      method: 'announce_peer',
      infoHash: randomId(new SeededRandom(3)),
      port: 1,
      token: new Uint8Array(8),
      impliedPort: false,
    },
  })
  const [out] = server.takeOutputs()
  assert.ok(out?.type === 'send' && out.message.type === 'error')
  assert.equal(out.message.code, KRPC_ERROR.protocol)
})

test('immutable and mutable items: put, get, and the BEP 44 refusals', () => {
  const net = network(40, 4)
  const hello = utf8('Hello World!')
  const putHandle = node(net, 3).putImmutable(net.now, hello)
  net.run(net.now + seconds(30))
  const put = doneOf(net, putHandle, addr(3))
  assert.equal(toHex(put.target), 'e5f96f6f38320f0f33959cb4d3d656452117aadb')
  assert.ok(put.stored > 0)
  const getHandle = node(net, 20).get(net.now, put.target)
  net.run(net.now + seconds(30))
  assert.deepEqual(doneOf(net, getHandle, addr(20)).item?.value, hello)

  const seed = new Uint8Array(32).fill(7)
  const salt = utf8('foobar')
  const m1 = node(net, 8).putMutable(net.now, { seed, salt, value: utf8('v1') })
  net.run(net.now + seconds(30))
  const first = doneOf(net, m1, addr(8))
  assert.equal(first.item?.seq, 1)
  const m2 = node(net, 9).putMutable(net.now, { seed, salt, value: utf8('v2') })
  net.run(net.now + seconds(30))
  assert.equal(doneOf(net, m2, addr(9)).item?.seq, 2, 'seq follows the highest seen')
  const g = node(net, 30).get(net.now, first.target, { salt })
  net.run(net.now + seconds(30))
  const got = doneOf(net, g, addr(30)).item
  assert.deepEqual(got?.value, utf8('v2'))
  assert.equal(got?.seq, 2)
})

function askPut(
  server: DhtNode,
  from: Address,
  query: Partial<KrpcMessage & { type: 'query' }>['query'],
): KrpcMessage {
  const now = instant(0)
  server.receive(now, from, {
    type: 'query',
    t: Uint8Array.of(0, 1),
    id: randomId(new SeededRandom(9)),
    readOnly: false,
    query: query as never,
  })
  const out = server.takeOutputs().find((o) => o.type === 'send')
  assert.ok(out?.type === 'send')
  return out.message
}

test('put refusals: bad signature 206, too big 205, salt too big 207, cas 301, lower seq 302', () => {
  const server = new DhtNode(instant(0), { random: new SeededRandom(1), hashing, ed25519 })
  const from = addr(2)
  const tokenReply = askPut(server, from, { method: 'get', target: randomId(new SeededRandom(1)) })
  assert.ok(tokenReply.type === 'response' && tokenReply.body.token !== undefined)
  const token = tokenReply.body.token
  const seed = new Uint8Array(32).fill(1)
  const k = ed25519.publicKeyOf(seed)
  const signed = (seq: number, value: Uint8Array, salt?: Uint8Array) => {
    const parts = salt === undefined ? '' : `4:salt${salt.length}:${new TextDecoder().decode(salt)}`
    const message = utf8(
      `${parts}3:seqi${seq}e1:v${value.length}:${new TextDecoder().decode(value)}`,
    )
    return ed25519.sign(seed, message)
  }
  const code = (m: KrpcMessage): number | undefined => (m.type === 'error' ? m.code : undefined)
  const v = utf8('x')
  assert.equal(
    code(askPut(server, from, { method: 'put', token, value: v, k, seq: 5, sig: signed(5, v) })),
    undefined,
  )
  assert.equal(
    code(askPut(server, from, { method: 'put', token, value: v, k, seq: 6, sig: signed(5, v) })),
    206,
  )
  assert.equal(
    code(askPut(server, from, { method: 'put', token, value: v, k, seq: 4, sig: signed(4, v) })),
    302,
  )
  assert.equal(
    code(
      askPut(server, from, {
        method: 'put',
        token,
        value: v,
        k,
        seq: 7,
        sig: signed(7, v),
        cas: 3,
      }),
    ),
    301,
  )
  assert.equal(
    code(
      askPut(server, from, {
        method: 'put',
        token,
        value: v,
        k,
        seq: 7,
        sig: signed(7, v),
        cas: 5,
      }),
    ),
    undefined,
  )
  const big = new Uint8Array(1000)
  assert.equal(code(askPut(server, from, { method: 'put', token, value: big })), 205)
  const salt = new Uint8Array(65).fill(0x61)
  assert.equal(
    code(
      askPut(server, from, {
        method: 'put',
        token,
        value: v,
        k,
        seq: 1,
        sig: signed(1, v, salt),
        salt,
      }),
    ),
    207,
  )
  assert.equal(
    code(askPut(server, from, { method: 'put', token: new Uint8Array(8), value: v })),
    203,
  )
  assert.equal(code(askPut(server, from, { method: 'unknown', name: 'vote' })), 204)
})

test('a query flood from one IP is cut at the burst and counted', () => {
  const server = new DhtNode(instant(0), { random: new SeededRandom(1), hashing })
  const id = randomId(new SeededRandom(2))
  for (let i = 0; i < 500; i++) {
    server.receive(instant(0), address('50.0.0.1', 1000 + i), {
      type: 'query',
      t: Uint8Array.of(0, 1),
      id,
      readOnly: false,
      query: { method: 'ping' },
    })
  }
  const answered = server.takeOutputs().filter((o) => o.type === 'send').length
  assert.equal(answered, 50)
  assert.equal(server.inspect().queriesDropped, 450)
  // Another IP is unaffected.
  server.receive(instant(0), address('50.0.0.2', 1), {
    type: 'query',
    t: Uint8Array.of(0, 1),
    id,
    readOnly: false,
    query: { method: 'ping' },
  })
  assert.equal(server.takeOutputs().length, 1)
})

test('read-only nodes: no answers, flagged queries, and kept out of tables (BEP 43)', () => {
  const net = network(20, 5)
  const roConfig = dhtConfig({ readOnly: true, routing: { exemptLocalFromIpLimits: true } })
  const ro = net.add(
    addr(100),
    new DhtNode(net.now, { random: new SeededRandom(7), hashing }, { config: roConfig }),
  )
  const handle = ro.bootstrap(net.now, [addr(0)])
  net.run(net.now + seconds(30))
  assert.ok(doneOf(net, handle, addr(100)).closest.length > 0)
  for (const [key, n] of net.nodes) {
    if (key === addressKey(addr(100))) continue
    assert.equal(n.routing.find(addr(100)), undefined, 'ro node in a table')
  }
  const other = node(net, 1)
  other.ping(net.now, addr(100))
  net.run(net.now + seconds(10))
  assert.ok(ro.inspect().queriesIgnoredReadOnly >= 1)
})

test('silent nodes time out, lookups still finish, and failures make nodes bad', () => {
  const net = network(30, 6)
  for (let i = 10; i < 20; i++) net.silent.add(addressKey(addr(i)))
  const handle = node(net, 1).lookup(net.now, randomId(new SeededRandom(8)))
  net.run(net.now + seconds(60))
  const done = doneOf(net, handle, addr(1))
  assert.ok(done.closest.length > 0)
  assert.ok(
    done.closest.every(
      (n) =>
        Number(n.address.host.split('.')[3]) < 10 || Number(n.address.host.split('.')[3]) >= 20,
    ),
  )
  assert.ok(node(net, 1).inspect().timeouts > 0)
  const ping = node(net, 1).ping(net.now, addr(15))
  net.run(net.now + seconds(10))
  assert.deepEqual(doneOf(net, ping, addr(1)).closest, [])
})

test('state export and import round trip; a restarted node rejoins from its table', () => {
  const net = network(20, 7)
  const n = node(net, 3)
  const bytes = n.exportState()
  assert.deepEqual(
    bytes,
    exportState({ id: n.id, nodes: [...n.routing.allNodes()].map((x) => x.info()) }),
  )
  const state = importState(bytes)
  assert.ok(state.ok)
  assert.deepEqual(state.value.id, n.id)
  assert.equal(state.value.nodes.length, n.routing.size)
  assert.equal(importState(utf8('garbage')).ok, false)
  const revived = net.add(
    addr(3),
    new DhtNode(
      net.now,
      { random: new SeededRandom(77), hashing },
      { config: localConfig, id: state.value.id, nodes: state.value.nodes },
    ),
  )
  const handle = revived.bootstrap(net.now, [])
  net.run(net.now + seconds(30))
  const rejoined = doneOf(net, handle, addr(3))
  assert.ok(
    rejoined.closest.length >= 8,
    `${rejoined.closest.length} of ${state.value.nodes.length}`,
  )
})

test('the external address is learned from responses and an id is made BEP 42-compliant', () => {
  const net = network(10, 8)
  const random = new SeededRandom(11)
  const me = address('60.1.2.3', 6881)
  const newcomer = net.add(me, new DhtNode(net.now, { random, hashing }, { config: localConfig }))
  const before: Id160 = newcomer.id
  newcomer.bootstrap(net.now, [addr(0), addr(1)])
  net.run(net.now + seconds(30))
  assert.deepEqual(newcomer.external, me)
  assert.notDeepEqual(newcomer.id, before)
  assert.ok(net.eventsOf('id_changed').length === 1)
})

test('the timer never spins: after timeout(t), nextTimeout is later than t', () => {
  // Fractional instants (the simulator's latencies) once made a refresh due by one sum and
  // not due by a difference, so the core asked for timeout(now) forever.
  const start = instant(1141668.175822591)
  const n = new DhtNode(start, { random: new SeededRandom(3), hashing }, { config: localConfig })
  n.receive(instant(start + 0.7973456122), addr(9), {
    type: 'query',
    t: Uint8Array.of(0, 1),
    id: randomId(new SeededRandom(4)),
    readOnly: false,
    query: { method: 'ping' },
  })
  let now = start as number
  for (let i = 0; i < 200; i++) {
    const next = n.nextTimeout()
    assert.ok(next !== undefined && next > now, `stuck at ${now}`)
    now = next
    n.timeout(next)
    n.takeOutputs()
  }
})

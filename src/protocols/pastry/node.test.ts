import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address, type Address } from '../../core/address.js'
import { fromUtf8, utf8 } from '../../core/bytes.js'
import { PureHashing } from '../../core/crypto/pure-hashing.js'
import { SeededRandom } from '../../core/random.js'
import { OverlayTestNet } from '../overlay/test-net.js'
import { pastryCodec } from './codec.js'
import { closer, digitAt, sharedPrefix, type PastryId } from './id.js'
import type { PastryMessage } from './messages.js'
import { PastryNode } from './node.js'

const hashing = new PureHashing()

function network(size: number, seed: number) {
  const random = new SeededRandom(seed)
  // Hosts on a line: latency grows with the index distance, so proximity has something to find.
  const net = new OverlayTestNet<PastryMessage, PastryNode>(
    pastryCodec,
    (a, b) => 2 + Math.abs(Number(a.host.split('.')[3]) - Number(b.host.split('.')[3])),
  )
  const nodes: PastryNode[] = []
  const addrs: Address[] = []
  for (let i = 0; i < size; i++) {
    const a = address(`10.0.0.${i + 1}`, 5000)
    const node = net.add(
      a,
      new PastryNode(net.now, { random: random.fork(`n${i}`), hashing }, { self: a }),
    )
    nodes.push(node)
    addrs.push(a)
    if (i === 0) node.create()
    else node.join(net.now, addrs[i - 1] as Address)
    net.flush(a)
    net.run(net.now + 2000)
  }
  net.run(net.now + 65_000)
  return { net, nodes, addrs }
}

const closestOf = (key: PastryId, nodes: readonly PastryNode[]): PastryId =>
  nodes.map((n) => n.id).reduce((best, id) => (closer(key, id, best) ? id : best))

test('pastry: lookups end at the numerically closest live id; tables obey their rules', () => {
  const { net, nodes, addrs } = network(60, 5)
  const random = new SeededRandom(99)
  for (let i = 0; i < 100; i++) {
    const from = random.int(nodes.length)
    const key = [...random.bytes(16)].map((b) => b.toString(16).padStart(2, '0')).join('')
    const handle = (nodes[from] as PastryNode).lookupId(net.now, key)
    net.flush(addrs[from] as Address)
    net.run(net.now + 2000)
    const done = net.done(addrs[from] as Address, handle)
    assert.ok(done?.ok, `lookup ${i}`)
    assert.equal(done.owner?.id, closestOf(key, nodes))
    assert.ok(done.trace.hops.length <= 3, `${done.trace.hops.length} hops`)
  }
  for (const node of nodes) {
    const me = node.id
    node.state.table.forEach((row, l) =>
      row.forEach((entry, d) => {
        if (entry === undefined) return
        assert.equal(sharedPrefix(me, entry.id), l, 'row = shared prefix length')
        assert.equal(digitAt(entry.id, l), d, 'column = next digit')
      }),
    )
    // 60 nodes: every leaf set is full (8 + 8) and holds exactly the 16 ring neighbours.
    const ring = nodes.map((n) => n.id).sort()
    const at = ring.indexOf(me)
    const expected = new Set<string>()
    for (let k = 1; k <= 8; k++) {
      expected.add(ring[(at + k) % ring.length] as string)
      expected.add(ring[(at - k + ring.length) % ring.length] as string)
    }
    assert.deepEqual(new Set(node.state.leaves.map((r) => r.id)), expected)
    assert.ok(node.state.neighbourhood.length > 0)
  }
})

test('pastry: put, get and remove through the owner; keys move to a joining node', () => {
  const { net, nodes, addrs } = network(30, 6)
  const run = (i: number, start: (n: PastryNode) => number) => {
    const h = start(nodes[i] as PastryNode)
    net.flush(addrs[i] as Address)
    net.run(net.now + 2000)
    return net.done(addrs[i] as Address, h)
  }
  for (let k = 0; k < 20; k++)
    assert.ok(run(k % 30, (n) => n.put(net.now, utf8(`k${k}`), utf8(`v${k}`)))?.ok)
  for (let k = 0; k < 20; k++) {
    const got = run((k * 7) % 30, (n) => n.get(net.now, utf8(`k${k}`)))
    assert.equal(fromUtf8(got?.value ?? utf8('')), `v${k}`)
  }
  assert.ok(run(3, (n) => n.remove(net.now, utf8('k1')))?.ok)
  assert.equal(run(4, (n) => n.get(net.now, utf8('k1')))?.error, 'not_found')
  // Every key sits at the numerically closest node.
  for (let k = 2; k < 20; k++) {
    const key = utf8(`k${k}`)
    const owner = closestOf((nodes[0] as PastryNode).keyId(key), nodes)
    assert.ok(nodes.find((n) => n.id === owner)?.holds(key) !== undefined, `k${k} at its owner`)
  }
})

test('pastry: after a crash, leaf sets repair and lookups still find the closest live id', () => {
  const { net, nodes, addrs } = network(40, 7)
  for (const i of [5, 11, 17, 23]) net.silent.add(`10.0.0.${i + 1}:5000`)
  net.run(net.now + 200_000)
  const live = nodes.filter((_, i) => ![5, 11, 17, 23].includes(i))
  for (const node of live) {
    assert.ok(
      !node.state.leaves.some((r) =>
        ['10.0.0.6', '10.0.0.12', '10.0.0.18', '10.0.0.24'].includes(r.address.host),
      ),
    )
    assert.equal(node.state.leaves.length, 16, 'leaf set refilled')
  }
  const random = new SeededRandom(3)
  for (let i = 0; i < 40; i++) {
    const from = [0, 1, 2, 3][i % 4] as number
    const key = [...random.bytes(16)].map((b) => b.toString(16).padStart(2, '0')).join('')
    const h = (nodes[from] as PastryNode).lookupId(net.now, key)
    net.flush(addrs[from] as Address)
    net.run(net.now + 10_000)
    assert.equal(net.done(addrs[from] as Address, h)?.owner?.id, closestOf(key, live))
  }
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address, type Address } from '../../core/address.js'
import type { Codec } from '../../core/core.js'
import { PureHashing } from '../../core/crypto/pure-hashing.js'
import { SeededRandom } from '../../core/random.js'
import { OverlayTestNet } from '../overlay/test-net.js'
import { pastryCodec, type PastryDecodeError } from './codec.js'
import type { PastryMessage } from './messages.js'
import { PastryNode } from './node.js'

/**
 * What a node sends to keep its leaf set: leaf sets travel only when asked (the adjacent
 * leaves each heartbeat, or all while the set has a gap). Before, every pong carried 16 leaves
 * that were offered to every table, a fifth of a large simulation's CPU. (A join's probes are
 * bounded too, but in a network this small the nearby node's neighbourhood set is nearly
 * everyone, so that is measured in the simulator: pastry.md.)
 */
function network(size: number, seed: number) {
  const random = new SeededRandom(seed)
  const sent: PastryMessage[] = []
  const counting: Codec<PastryMessage, PastryDecodeError> = {
    encode: (m) => {
      sent.push(m)
      return pastryCodec.encode(m)
    },
    decode: pastryCodec.decode,
  }
  const net = new OverlayTestNet<PastryMessage, PastryNode>(
    counting,
    (a, b) => 2 + Math.abs(Number(a.host.split('.')[3]) - Number(b.host.split('.')[3])),
  )
  const nodes: PastryNode[] = []
  const addrs: Address[] = []
  const add = (i: number, via: Address | undefined): void => {
    const a = address(`10.0.0.${i + 1}`, 5000)
    const node = net.add(
      a,
      new PastryNode(
        net.now,
        { random: random.fork(`n${i}`), hashing: new PureHashing() },
        { self: a },
      ),
    )
    nodes.push(node)
    addrs.push(a)
    if (via === undefined) node.create()
    else node.join(net.now, via)
    net.flush(a)
    net.run(net.now + 2000)
  }
  for (let i = 0; i < size; i++) add(i, i === 0 ? undefined : (addrs[i - 1] as Address))
  net.run(net.now + 65_000)
  return { net, nodes, sent }
}

test('pastry: a steady heartbeat checks every leaf once a pair and asks only the adjacent for leaves', () => {
  const { net, nodes, sent } = network(50, 11)
  for (const node of nodes) assert.equal(node.state.leaves.length, 16)
  // Who pinged whom, by ids: a ping carries its sender's id, the receiver is the node.
  const pinged = new Set<string>()
  for (const node of nodes) {
    const receive = node.receive.bind(node)
    node.receive = (now, from, m) => {
      if (m.type === 'ping') pinged.add(`${m.id}>${node.id}`)
      receive(now, from, m)
    }
  }
  const before = sent.length
  net.run(net.now + 30_000)
  const period = sent.slice(before)
  const pings = period.filter((m) => m.type === 'ping')
  const asking = pings.filter((m) => m.type === 'ping' && m.wantLeaves)
  const pongsWithLeaves = period.filter((m) => m.type === 'pong' && m.leaves.length > 0)
  for (const node of nodes) {
    for (const leaf of node.state.leaves) {
      assert.ok(
        pinged.has(`${node.id}>${leaf.id}`) || pinged.has(`${leaf.id}>${node.id}`),
        'each leaf pair exchanged a ping this period',
      )
    }
  }
  // Leaf sets are mutual: a ping received is the sender's keep-alive, so most pairs are pinged
  // one way only (16 a node a period before, when every node pinged every leaf).
  assert.ok(pings.length < 13 * nodes.length, `${pings.length} pings: pairs pinged once`)
  assert.ok(asking.length <= 2 * nodes.length, `${asking.length} pings ask for leaves`)
  assert.equal(pongsWithLeaves.length, asking.length)
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address, type Address } from '../../core/address.js'
import { compareDistance, idFromBytes, type Id160 } from '../../core/id.js'
import { fromUtf8, utf8 } from '../../core/bytes.js'
import { SeededRandom } from '../../core/random.js'
import { seconds } from '../../core/time.js'
import { OverlayTestNet } from '../overlay/test-net.js'
import { dhtConfig } from './config.js'
import { krpcCodec } from './krpc-codec.js'
import type { KrpcMessage } from './messages.js'
import { DhtNode } from './node.js'
import { KademliaOverlay } from './overlay-adapter.js'
import { FakeEd25519 } from './test-ed25519.js'
import { NodeHashingForTests } from './test-hashing.js'

const hashing = new NodeHashingForTests()
const ed25519 = new FakeEd25519(hashing)
const config = dhtConfig({ routing: { exemptLocalFromIpLimits: true } })
const addr = (i: number): Address => address(`10.0.2.${i + 1}`, 6881)

test('kademlia behind OverlayDht: put on one node, get on another, lookup names the closest', () => {
  const net = new OverlayTestNet<KrpcMessage, KademliaOverlay>(krpcCodec)
  const random = new SeededRandom(8)
  const nodes: KademliaOverlay[] = []
  for (let i = 0; i < 24; i++) {
    const dht = new DhtNode(net.now, { random: random.fork(`n${i}`), hashing, ed25519 }, { config })
    const overlay = new KademliaOverlay(dht, new Uint8Array(32).fill(i + 1), { hashing, ed25519 })
    nodes.push(net.add(addr(i), overlay))
    if (i > 0) {
      dht.bootstrap(net.now, [addr(0)])
      net.flush(addr(i))
      net.run(net.now + seconds(5))
    }
  }
  const [a, b] = [nodes[3] as KademliaOverlay, nodes[17] as KademliaOverlay]
  const put = a.put(net.now, utf8('colour'), utf8('blue'))
  net.flush(addr(3))
  net.run(net.now + seconds(10))
  const stored = net.done(addr(3), put)
  assert.equal(stored?.ok, true, JSON.stringify(stored))
  assert.ok((stored?.stored ?? 0) >= 3)
  assert.ok((stored?.trace.hopCount ?? 0) >= 1)

  // The item is signed by a's key: b reads it through an adapter holding the same key.
  const reader = new KademliaOverlay(b.node, new Uint8Array(32).fill(4), { hashing, ed25519 })
  net.nodes.set('10.0.2.18:6881', reader)
  const got = reader.get(net.now, utf8('colour'))
  net.flush(addr(17))
  net.run(net.now + seconds(10))
  const value = net.done(addr(17), got)
  assert.equal(value?.ok, true)
  assert.equal(fromUtf8(value?.value ?? new Uint8Array()), 'blue')

  // lookup: the owner is the live node closest to the target by XOR.
  const target = idFromBytes(new Uint8Array(20).fill(0x5a)) as Id160
  const look = reader.lookup(net.now, target)
  net.flush(addr(17))
  net.run(net.now + seconds(10))
  // The asker itself is never in its own result.
  const closest = nodes
    .filter((n) => n !== b)
    .map((n) => n.node.id)
    .sort((x, y) => compareDistance(target, x, y))[0] as Id160
  assert.equal(net.done(addr(17), look)?.owner?.id, Buffer.from(closest).toString('hex'))

  // No delete in BEP 44; bad ids are refused as values.
  const removed = a.remove(net.now, utf8('colour'))
  const bad = a.lookup(net.now, new Uint8Array(3))
  net.flush(addr(3))
  assert.equal(net.done(addr(3), removed)?.error, 'unsupported')
  assert.equal(net.done(addr(3), bad)?.error, 'id_out_of_range')
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address, addressKey, type Address } from '../../core/address.js'
import { fromUtf8, utf8 } from '../../core/bytes.js'
import { PureHashing } from '../../core/crypto/pure-hashing.js'
import { SeededRandom } from '../../core/random.js'
import { OverlayTestNet } from '../overlay/test-net.js'
import { pastryCodec } from './codec.js'
import { closer } from './id.js'
import type { PastryMessage } from './messages.js'
import { PastryNode } from './node.js'

const hashing = new PureHashing()

function network(size: number, seed: number) {
  const random = new SeededRandom(seed)
  const net = new OverlayTestNet<PastryMessage, PastryNode>(pastryCodec)
  const nodes: PastryNode[] = []
  const addrs: Address[] = []
  for (let i = 0; i < size; i++) {
    const a = address(`10.0.1.${i + 1}`, 5000)
    const node = net.add(
      a,
      new PastryNode(net.now, { random: random.fork(`n${i}`), hashing }, { self: a }),
    )
    nodes.push(node)
    addrs.push(a)
    if (i === 0) node.create()
    else node.join(net.now, addrs[0] as Address)
    net.flush(a)
    net.run(net.now + 2000)
  }
  net.run(net.now + 65_000)
  return { net, nodes, addrs }
}

test('pastry: keys live on the owner and 2 leaves; after owners crash they are recovered', () => {
  const { net, nodes, addrs } = network(40, 21)
  const keys = Array.from({ length: 30 }, (_, i) => utf8(`key ${i}`))
  for (const key of keys) {
    const h = (nodes[1] as PastryNode).put(net.now, key, utf8(`v:${fromUtf8(key)}`))
    net.flush(addrs[1] as Address)
    net.run(net.now + 1000)
    assert.equal(net.done(addrs[1] as Address, h)?.ok, true)
  }
  const holders = (key: Uint8Array): number =>
    nodes.filter((n, i) => !net.silent.has(addressKey(addrs[i] as Address)) && n.holds(key)).length
  for (const key of keys) assert.equal(holders(key), 3, 'owner plus replicas - 1 = 2 leaves')

  // Crash the owners of the first five keys (not the asker).
  const ownerOf = (key: Uint8Array): number => {
    const id = (nodes[0] as PastryNode).keyId(key)
    let best = -1
    nodes.forEach((n, i) => {
      if (net.silent.has(addressKey(addrs[i] as Address))) return
      if (best < 0 || closer(id, n.id, (nodes[best] as PastryNode).id)) best = i
    })
    return best
  }
  const crashed = new Set<number>()
  for (const key of keys.slice(0, 5)) {
    const owner = ownerOf(key)
    if (owner !== 2) crashed.add(owner)
  }
  for (const i of crashed) net.silent.add(addressKey(addrs[i] as Address))
  // Within two heartbeats (30 s each) the dead leaves are found (a leaf that pinged us in the
  // last period is not pinged back, so a crash can go unseen for one period); the next
  // heartbeat re-replicates.
  net.run(net.now + 100_000)
  for (const key of keys) {
    const h = (nodes[2] as PastryNode).get(net.now, key)
    net.flush(addrs[2] as Address)
    net.run(net.now + 3000)
    const done = net.done(addrs[2] as Address, h)
    assert.equal(done?.ok, true, `get ${fromUtf8(key)}`)
    assert.equal(fromUtf8(done?.value ?? new Uint8Array()), `v:${fromUtf8(key)}`)
    assert.equal(done?.owner?.id, (nodes[ownerOf(key)] as PastryNode).id)
    assert.equal(holders(key), 3, `three live copies of ${fromUtf8(key)} again`)
  }
  const recovered = net.events.filter(
    (e) => e.event.type === 'keys_moved' && e.event.direction === 'in',
  )
  assert.ok(recovered.length >= crashed.size, 'the heirs report the keys they recovered')

  // A remove at the owner removes the copies too.
  const h = (nodes[2] as PastryNode).remove(net.now, keys[9] as Uint8Array)
  net.flush(addrs[2] as Address)
  net.run(net.now + 3000)
  assert.equal(net.done(addrs[2] as Address, h)?.ok, true)
  assert.equal(holders(keys[9] as Uint8Array), 0)
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address, type Address } from '../../core/address.js'
import { PureHashing } from '../../core/crypto/pure-hashing.js'
import { SeededRandom } from '../../core/random.js'
import { OverlayTestNet } from '../overlay/test-net.js'
import { canCodec } from './codec.js'
import { canConfig } from './config.js'
import type { CanMessage, CanNodeInfo } from './messages.js'
import { CanNode } from './node.js'
import { adjacent, boxOf, type ZonePath } from './zone.js'

/**
 * The paper's path length, (d/4) N^(1/d), is the mean over all targets on a grid of N equal
 * zones: on a ring of k zones the mean distance is k/4 per dimension. Greedy forwarding must
 * reproduce it exactly there (each hop one zone nearer, no detour from the tie-breaks), so a
 * gap between the simulator's figures and the formula comes from uneven zones, not from the
 * routing. By the torus's symmetry the mean from any one origin over every target zone is
 * already the formula; we check a few origins.
 */
function gridNet(
  dims: number,
  depth: number,
): { net: OverlayTestNet<CanMessage, CanNode>; nodes: CanNode[]; addrs: Address[] } {
  const config = canConfig({ dims })
  const net = new OverlayTestNet<CanMessage, CanNode>(canCodec)
  const zones: ZonePath[] = []
  for (let i = 0; i < 2 ** depth; i++) zones.push(i.toString(2).padStart(depth, '0'))
  const addrs = zones.map((_, i) => address(`10.1.${i >> 8}.${i & 255}`, 5000))
  const infos: CanNodeInfo[] = zones.map((z, i) => ({
    address: addrs[i] as Address,
    id: `n${String(i).padStart(4, '0')}`,
    zones: [z],
  }))
  const nodes = zones.map((zone, i) => {
    const node = new CanNode(
      net.now,
      { random: new SeededRandom(i + 1), hashing: new PureHashing() },
      { config, self: addrs[i] as Address, id: (infos[i] as CanNodeInfo).id },
    )
    const around = infos.filter((n, j) => j !== i && adjacent(zone, n.zones[0] as string, dims))
    node.install(net.now, [zone], around)
    return net.add(addrs[i] as Address, node)
  })
  return { net, nodes, addrs }
}

for (const [dims, depth] of [
  [2, 6],
  [2, 8],
  [4, 8],
  [3, 9],
] as const) {
  const n = 2 ** depth
  const side = Math.round(n ** (1 / dims))
  test(`greedy routing on ${n} equal zones, d = ${dims}: mean hops are exactly (d/4) N^(1/d)`, () => {
    const { net, nodes, addrs } = gridNet(dims, depth)
    // 2d neighbours each on a grid of equal zones (k >= 3 per side; k = 2 gives d).
    for (const node of nodes) assert.equal(node.neighbourInfos().length, side > 2 ? 2 * dims : dims)
    const origins = [0, 1, n >> 1, n - 1]
    const handles: [number, number][] = []
    for (const o of origins) {
      for (const target of nodes) {
        const { lo, hi } = boxOf(target.zones[0] as string, dims)
        const centre = lo.map((l, k) => (l + (hi[k] as number)) / 2)
        handles.push([o, (nodes[o] as CanNode).lookupPoint(net.now, centre)])
      }
      net.flush(addrs[o] as Address)
    }
    net.run(net.now + 5000)
    let total = 0
    for (const [o, handle] of handles) {
      const done = net.done(addrs[o] as Address, handle)
      assert.ok(done?.ok, JSON.stringify(done))
      assert.ok(done.trace.hops.every((h) => h.outcome !== 'timeout'))
      total += done.trace.hops.length
    }
    const mean = total / handles.length
    // side = N^(1/d) exactly (a power of two), so this is the paper's formula.
    assert.equal(side ** dims, n)
    assert.equal(mean, (dims / 4) * side)
  })
}

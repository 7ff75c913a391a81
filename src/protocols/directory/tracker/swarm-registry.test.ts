import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { SeededRandom } from '../../../core/random.js'
import { trackerConfig } from './config.js'
import { T0 } from './fixtures.test.js'
import { SwarmRegistry, type PeerAnnounce } from './swarm-registry.js'

const infoHash = new Uint8Array(20).fill(1)
const peerIdOf = (n: number): Uint8Array =>
  Uint8Array.from({ length: 20 }, (_, i) => (i === 0 ? n : 7))
const v4Of = (n: number): Uint8Array => Uint8Array.of(10, 0, 0, n, 0x1a, 0xe1)
const v6Of = (n: number): Uint8Array => {
  const a = new Uint8Array(18)
  a[0] = 0x20
  a[15] = n
  a[17] = 1
  return a
}

function announce(n: number, seeder: boolean, ipv6: boolean, numWant: number): PeerAnnounce {
  return {
    infoHash,
    peerId: peerIdOf(n),
    family: ipv6 ? 'ipv6' : 'ipv4',
    addr: ipv6 ? v6Of(n) : v4Of(n),
    seeder,
    event: 'none',
    numWant,
    families: 'both',
    withPeerIds: true,
  }
}

const swarmShape = fc.record({
  peers: fc.array(fc.record({ seeder: fc.boolean(), ipv6: fc.boolean() }), {
    minLength: 1,
    maxLength: 60,
  }),
  requester: fc.nat(),
  numWant: fc.nat(80),
  seed: fc.nat(),
})

test('answers are distinct, never the requester, leechers only for seeders, as many as can be', () => {
  fc.assert(
    fc.property(swarmShape, ({ peers, requester, numWant, seed }) => {
      const registry = new SwarmRegistry(trackerConfig(), new SeededRandom(seed))
      peers.forEach((p, n) => registry.announce(announce(n, p.seeder, p.ipv6, 0), T0))
      const me = requester % peers.length
      const mine = peers[me] as { seeder: boolean; ipv6: boolean }
      const result = registry.announce(announce(me, mine.seeder, mine.ipv6, numWant), T0)
      assert.ok(result.ok)
      const got: number[] = []
      for (const selected of [result.value.ipv4, result.value.ipv6]) {
        for (let i = 0; i < selected.count; i++) got.push(selected.ids[i * 20] as number)
      }
      assert.equal(new Set(got).size, got.length, 'distinct')
      assert.ok(!got.includes(me), 'never the requester')
      const eligible = peers.filter((p, n) => n !== me && (!mine.seeder || !p.seeder)).length
      assert.equal(got.length, Math.min(numWant, eligible))
      for (const n of got) {
        if (mine.seeder) assert.equal(peers[n]?.seeder, false, 'a seeder gets leechers only')
      }
      const seeders = peers.filter((p) => p.seeder).length
      assert.deepEqual(registry.countsOf(infoHash), {
        seeders,
        leechers: peers.length - seeders,
        completed: 0,
      })
      assert.deepEqual(registry.totals(), {
        torrents: 1,
        peers: peers.length,
        seeders,
        leechers: peers.length - seeders,
      })
    }),
    { numRuns: 400 },
  )
})

test('samples are spread over the whole swarm', () => {
  const registry = new SwarmRegistry(trackerConfig(), new SeededRandom(9))
  for (let n = 0; n < 100; n++) registry.announce(announce(n, false, false, 0), T0)
  const seen = new Map<number, number>()
  for (let round = 0; round < 400; round++) {
    const result = registry.announce(announce(200, false, false, 10), T0)
    assert.ok(result.ok)
    for (let i = 0; i < result.value.ipv4.count; i++) {
      const n = result.value.ipv4.ids[i * 20] as number
      seen.set(n, (seen.get(n) ?? 0) + 1)
    }
  }
  // 4,000 draws over 100 peers: each expects 40; all should be seen and none hugely favoured.
  assert.equal(seen.size, 100)
  assert.ok(Math.max(...seen.values()) < 80)
  assert.ok(Math.min(...seen.values()) > 15)
})

test('capacity limits refuse new peers and swarms with tracker is full', () => {
  const registry = new SwarmRegistry(
    trackerConfig({ peersMax: 2, swarmsMax: 1 }),
    new SeededRandom(1),
  )
  assert.ok(registry.announce(announce(1, false, false, 0), T0).ok)
  assert.ok(registry.announce(announce(2, false, false, 0), T0).ok)
  assert.deepEqual(registry.announce(announce(3, false, false, 0), T0), {
    ok: false,
    error: 'tracker is full',
  })
  const other = { ...announce(1, false, false, 0), infoHash: new Uint8Array(20) }
  assert.deepEqual(registry.announce(other, T0), { ok: false, error: 'tracker is full' })
})

test('setCompleted restores a persisted counter; disallow forgets a swarm', () => {
  const registry = new SwarmRegistry(trackerConfig(), new SeededRandom(1))
  registry.setCompleted(infoHash, 42)
  registry.announce(announce(1, false, false, 0), T0)
  assert.deepEqual(registry.countsOf(infoHash), { seeders: 0, leechers: 1, completed: 42 })
  registry.disallow(infoHash)
  assert.equal(registry.countsOf(infoHash), undefined)
  assert.equal(registry.totals().peers, 0)
})

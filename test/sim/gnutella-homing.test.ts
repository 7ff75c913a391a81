import assert from 'node:assert/strict'
import { addressKey, type Address } from '../../src/core/address.js'
import { SeededRandom } from '../../src/core/random.js'
import { instant } from '../../src/core/time.js'
import {
  Servent,
  serventConfig,
  SharedLibrary,
  type Role,
} from '../../src/protocols/gnutella/index.js'
import { StreamFabric } from '../../src/lab/scenarios/gnutella-fabric.js'
import { Scheduler } from '../../src/sim/scheduler.js'
import { seededTest } from './helpers.js'

/**
 * Leaves and their ultrapeers on the simulator's timeline (the direct fabric, a seeded latency
 * per link): each leaf is given every ultrapeer as a candidate, probes several, keeps the
 * three with the fastest measured handshake; when one of its ultrapeers dies it re-homes to
 * another (learnt from pongs), and never to the dead one.
 */
const ULTRAPEERS = 8
const LEAVES = 12
const KEEP = 3
const MAINTAIN_MS = 2_000

const upAddress = (i: number): Address => ({ host: `10.0.1.${i + 1}`, port: 6346 })
const leafAddress = (i: number): Address => ({ host: `10.0.2.${i + 1}`, port: 6346 })

seededTest(
  'leaves keep the 3 ultrapeers with the lowest RTT among their candidates, and re-home when one dies',
  5,
  (seed) => {
    const random = new SeededRandom(seed)
    // Each leaf sees the ultrapeers at distinct latencies, in a seeded order: 10, 25, 40 ... ms.
    const rank = Array.from({ length: LEAVES }, () => {
      const order = Array.from({ length: ULTRAPEERS }, (_, i) => i)
      for (let i = order.length - 1; i > 0; i--) {
        const j = random.int(i + 1)
        ;[order[i], order[j]] = [order[j] as number, order[i] as number]
      }
      return order
    })
    const leafIndex = new Map(
      Array.from({ length: LEAVES }, (_, i) => [addressKey(leafAddress(i)), i]),
    )
    const upIndex = new Map(
      Array.from({ length: ULTRAPEERS }, (_, i) => [addressKey(upAddress(i)), i]),
    )
    const latency = (a: Address, b: Address): number => {
      const leaf = leafIndex.get(addressKey(a)) ?? leafIndex.get(addressKey(b))
      const up = upIndex.get(addressKey(a)) ?? upIndex.get(addressKey(b))
      if (leaf === undefined || up === undefined) return 10
      return 10 + 15 * (rank[leaf] as number[]).indexOf(up)
    }
    const scheduler = new Scheduler()
    const fabric = new StreamFabric(scheduler, latency)
    const make = (address: Address, role: Role) => {
      const servent = new Servent(
        serventConfig({
          advertised: address,
          role,
          leafUltrapeers: KEEP,
          leafCandidatesExtra: 3,
          maintainIntervalMs: MAINTAIN_MS,
          pingIntervalMs: 1_000,
        }),
        { random: random.fork(addressKey(address)), library: new SharedLibrary() },
        scheduler.now(),
      )
      return { servent, handle: fabric.attach(servent, address, () => undefined) }
    }
    const ups = Array.from({ length: ULTRAPEERS }, (_, i) => make(upAddress(i), 'ultrapeer'))
    const leaves = Array.from({ length: LEAVES }, (_, i) => make(leafAddress(i), 'leaf'))
    // The ultrapeers form a ring; every leaf knows every ultrapeer as a candidate.
    ups.forEach((u, i) => {
      u.servent.connect(scheduler.now(), upAddress((i + 1) % ULTRAPEERS))
      u.handle.flush()
    })
    for (const leaf of leaves) {
      leaf.servent.addCandidates(ups.map((_, i) => upAddress(i)))
      // Arms the leaf's maintenance timer: it dials its candidates on the first tick.
      leaf.handle.flush()
    }

    const homes = (leaf: number): number[] =>
      (leaves[leaf] as (typeof leaves)[number]).servent
        .open()
        .map((c) => upIndex.get(addressKey(c.remote)) as number)
        .sort((a, b) => a - b)
    const fastest = (leaf: number, alive: (up: number) => boolean): number[] =>
      (rank[leaf] as number[])
        .filter(alive)
        .slice(0, KEEP)
        .sort((a, b) => a - b)

    scheduler.run({ until: instant(20 * MAINTAIN_MS) })
    for (let leaf = 0; leaf < LEAVES; leaf++) {
      assert.deepEqual(
        homes(leaf),
        fastest(leaf, () => true),
        `leaf ${leaf} (seed ${seed})`,
      )
    }
    // The ultrapeer most leaves chose dies.
    const chosenBy = new Array<number>(ULTRAPEERS).fill(0)
    for (let leaf = 0; leaf < LEAVES; leaf++)
      for (const up of homes(leaf)) chosenBy[up] = (chosenBy[up] ?? 0) + 1
    const dead = chosenBy.indexOf(Math.max(...chosenBy))
    const orphans = Array.from({ length: LEAVES }, (_, l) => l).filter((l) =>
      homes(l).includes(dead),
    )
    assert.ok(orphans.length > 0)
    fabric.crash(upAddress(dead))
    scheduler.run({ until: instant(20 * MAINTAIN_MS + 1_000) })
    for (const leaf of orphans) assert.equal(homes(leaf).length, KEEP - 1, 'the death was noticed')
    scheduler.run({ until: instant(40 * MAINTAIN_MS) })
    for (let leaf = 0; leaf < LEAVES; leaf++) {
      const now = homes(leaf)
      assert.ok(!now.includes(dead), `leaf ${leaf} still on the dead ultrapeer`)
      assert.equal(now.length, KEEP, `leaf ${leaf} re-homed to ${KEEP} (seed ${seed})`)
    }
  },
)

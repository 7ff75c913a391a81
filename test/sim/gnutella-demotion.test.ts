import assert from 'node:assert/strict'
import { addressKey, type Address } from '../../src/core/address.js'
import { SeededRandom } from '../../src/core/random.js'
import { instant } from '../../src/core/time.js'
import {
  Servent,
  serventConfig,
  SharedLibrary,
  type GnutellaEvent,
  type Role,
} from '../../src/protocols/gnutella/index.js'
import { StreamFabric } from '../../src/lab/scenarios/gnutella-fabric.js'
import { Scheduler } from '../../src/sim/scheduler.js'
import { seededTest } from './helpers.js'

/**
 * Automatic demotion on the simulator's timeline: 8 ultrapeers in a full mesh, 12 leaves that
 * only know ultrapeers 0-3. Ultrapeers 4-7 keep no leaf while their neighbours advertise free
 * leaf slots (GGEP "UP" in their pongs), so after the low-load wait (plus a seeded jitter)
 * they become leaves of the loaded ultrapeers; 0-3 keep their role. Hysteresis: nobody
 * changes role twice, and every leaf, old or demoted, ends with its 3 ultrapeers.
 */
const ULTRAPEERS = 8
const LOADED = 4
const LEAVES = 12
const KEEP = 3
const MAINTAIN_MS = 2_000
const DEMOTION = { leavesBelow: 2, lowForMs: 20_000, ultrapeerForMs: 10_000, spareFactor: 2 }

const upAddress = (i: number): Address => ({ host: `10.0.1.${i + 1}`, port: 6346 })
const leafAddress = (i: number): Address => ({ host: `10.0.2.${i + 1}`, port: 6346 })

seededTest(
  'under-used ultrapeers demote to leaves of the loaded ones, once, without flapping',
  9,
  (seed) => {
    const random = new SeededRandom(seed)
    const scheduler = new Scheduler()
    const fabric = new StreamFabric(
      scheduler,
      (a, b) => 5 + ((addressKey(a).length + addressKey(b).length) % 7),
    )
    const roleChanges = new Map<string, number>()
    const make = (address: Address, role: Role) => {
      const servent = new Servent(
        serventConfig({
          advertised: address,
          role,
          leafUltrapeers: KEEP,
          leafCandidatesExtra: 0,
          maintainIntervalMs: MAINTAIN_MS,
          pingIntervalMs: MAINTAIN_MS,
          demotion: DEMOTION,
        }),
        { random: random.fork(addressKey(address)), library: new SharedLibrary() },
        scheduler.now(),
      )
      const onEvent = (e: GnutellaEvent): void => {
        if (e.type !== 'role_changed') return
        const key = addressKey(address)
        roleChanges.set(key, (roleChanges.get(key) ?? 0) + 1)
      }
      return { servent, handle: fabric.attach(servent, address, onEvent) }
    }
    const ups = Array.from({ length: ULTRAPEERS }, (_, i) => make(upAddress(i), 'ultrapeer'))
    const leaves = Array.from({ length: LEAVES }, (_, i) => make(leafAddress(i), 'leaf'))
    for (let a = 0; a < ULTRAPEERS; a++)
      for (let b = a + 1; b < ULTRAPEERS; b++)
        (ups[a] as (typeof ups)[number]).servent.connect(scheduler.now(), upAddress(b))
    // Each leaf knows ultrapeers 0-3 in a rotated order: each of them gets 9 of the 12 leaves.
    leaves.forEach((leaf, l) =>
      leaf.servent.addCandidates(
        Array.from({ length: LOADED }, (_, i) => upAddress((l + i) % LOADED)),
      ),
    )
    for (const node of [...ups, ...leaves]) node.handle.flush()

    const roleOf = (i: number): Role => (ups[i] as (typeof ups)[number]).servent.role
    const homesOf = (s: Servent): string[] =>
      s
        .open()
        .filter((c) => c.role === 'ultrapeer')
        .map((c) => addressKey(c.remote))

    // The first check (one maintenance interval in) starts the low-load clock: before it has
    // run for lowForMs nobody moves.
    scheduler.run({ until: instant(MAINTAIN_MS + DEMOTION.lowForMs - 1) })
    assert.deepEqual(
      ups.map((u) => u.servent.role),
      Array<Role>(ULTRAPEERS).fill('ultrapeer'),
    )
    scheduler.run({ until: instant(300_000) })
    for (let i = 0; i < ULTRAPEERS; i++)
      assert.equal(roleOf(i), i < LOADED ? 'ultrapeer' : 'leaf', `ultrapeer ${i} (seed ${seed})`)
    for (const [host, changes] of roleChanges) assert.equal(changes, 1, `${host} flapped`)
    assert.equal(roleChanges.size, ULTRAPEERS - LOADED)
    const loaded = new Set(Array.from({ length: LOADED }, (_, i) => addressKey(upAddress(i))))
    for (const node of [...leaves, ...ups.slice(LOADED)]) {
      const homes = homesOf(node.servent)
      assert.equal(
        homes.length,
        KEEP,
        `${addressKey(node.servent.config.advertised)} homes ${homes}`,
      )
      for (const h of homes) assert.ok(loaded.has(h), `home ${h} is not a loaded ultrapeer`)
    }
  },
)

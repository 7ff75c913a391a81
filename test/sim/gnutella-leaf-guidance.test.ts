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
 * Leaf guidance for dynamic querying (BEAR/11 QueryStatusRequest, BEAR/12 QueryStatusResponse)
 * on the simulator's timeline. A leaf hands its query to both of its ultrapeers; each runs a
 * dynamic query. Without guidance each widens until the results *it* routed reach the target,
 * so together they bring about twice what the leaf wants; with guidance each asks the leaf
 * before widening and stops once the leaf's total is enough. Same seed, same graph, same files.
 */
const ULTRAPEERS = 60
const UP_DEGREE = 8
const WANTED = 10
const HOLD_SHARE = 0.4

const upAddress = (i: number): Address => ({ host: `10.0.1.${i + 1}`, port: 6346 })
const LEAF: Address = { host: '10.0.2.1', port: 6346 }

interface Outcome {
  /** Query descriptors sent by every servent. */
  readonly queryMessages: number
  readonly leafResults: number
  readonly statusRequests: number
  readonly stoppedByLeaf: number
}

function run(seed: number, leafGuidance: boolean, stopAfterMs?: number): Outcome {
  const random = new SeededRandom(seed)
  const scheduler = new Scheduler()
  const fabric = new StreamFabric(scheduler, 20)
  const graphRandom = random.fork('graph')
  const make = (address: Address, role: Role, holds: boolean) => {
    const library = new SharedLibrary()
    if (holds)
      library.add({ fileIndex: 1, fileName: 'blue danube waltz.mp3', fileSize: 1000, urns: [] })
    const servent = new Servent(
      serventConfig({
        advertised: address,
        role,
        dqResultsWanted: WANTED,
        leafQueryUltrapeers: 2,
        leafGuidance,
        dqWaitPerHopMs: 400,
        dqGuidanceLeadMs: 200,
        pingIntervalMs: 60_000,
      }),
      { random: random.fork(addressKey(address)), library },
      scheduler.now(),
    )
    const events: GnutellaEvent[] = []
    return { servent, events, handle: fabric.attach(servent, address, (e) => events.push(e)) }
  }
  const holders = random.fork('files')
  const ups = Array.from({ length: ULTRAPEERS }, (_, i) =>
    make(upAddress(i), 'ultrapeer', holders.float() < HOLD_SHARE),
  )
  const leaf = make(LEAF, 'leaf', false)
  // A ring plus random chords: every ultrapeer has about UP_DEGREE neighbours.
  const edges = new Set<string>()
  const link = (a: number, b: number): void => {
    const key = a < b ? `${a}-${b}` : `${b}-${a}`
    if (a === b || edges.has(key)) return
    edges.add(key)
    ;(ups[a] as (typeof ups)[number]).servent.connect(scheduler.now(), upAddress(b))
  }
  for (let i = 0; i < ULTRAPEERS; i++) link(i, (i + 1) % ULTRAPEERS)
  while (edges.size < (ULTRAPEERS * UP_DEGREE) / 2)
    link(graphRandom.int(ULTRAPEERS), graphRandom.int(ULTRAPEERS))
  leaf.servent.connect(scheduler.now(), upAddress(0))
  leaf.servent.connect(scheduler.now(), upAddress(ULTRAPEERS / 2))
  for (const node of [...ups, leaf]) node.handle.flush()
  // Handshakes, then QRP tables (leaf -> ultrapeer, and the merged last-hop tables).
  scheduler.run({ until: instant(15_000) })
  const before = [...ups, leaf].map((n) => n.servent.inspect().sent['query'] ?? 0)
  const id = leaf.servent.search(scheduler.now(), 'danube waltz')
  leaf.handle.flush()
  if (stopAfterMs !== undefined) {
    scheduler.run({ until: instant(15_000 + stopAfterMs) })
    leaf.servent.stopSearch(id)
    leaf.handle.flush()
  }
  scheduler.run({ until: instant(60_000) })
  const queryMessages = [...ups, leaf].reduce(
    (sum, n, i) => sum + (n.servent.inspect().sent['query'] ?? 0) - (before[i] as number),
    0,
  )
  let leafResults = 0
  for (const e of leaf.events)
    if (e.type === 'query_hit' && e.queryId === id) leafResults += e.hit.results.length
  const stats = ups.map((u) => u.servent.routing.stats)
  return {
    queryMessages,
    leafResults,
    statusRequests: stats.reduce((s, x) => s + x.statusRequests, 0),
    stoppedByLeaf: stats.reduce((s, x) => s + x.stoppedByLeaf, 0),
  }
}

seededTest(
  'leaf guidance: ultrapeers stop widening once the leaf has enough, with fewer query messages',
  11,
  (seed) => {
    const blind = run(seed, false)
    const guided = run(seed, true)
    assert.equal(blind.statusRequests, 0)
    assert.ok(guided.statusRequests > 0, 'the ultrapeers asked the leaf')
    // Guidance costs no result the leaf wanted: it gets the target, or all the blind run found.
    assert.ok(
      guided.leafResults >= Math.min(WANTED, blind.leafResults),
      JSON.stringify({ blind, guided }),
    )
    assert.ok(
      guided.queryMessages < blind.queryMessages,
      `guided ${guided.queryMessages} vs blind ${blind.queryMessages} query messages`,
    )
    assert.ok(guided.leafResults <= blind.leafResults, JSON.stringify({ blind, guided }))
    assert.deepEqual(run(seed, true), guided, 'deterministic')
  },
)

seededTest('a leaf that closes its search makes its ultrapeers stop (0xFFFF)', 5, (seed) => {
  const guided = run(seed, true)
  const closed = run(seed, true, 100)
  assert.ok(closed.stoppedByLeaf > 0, JSON.stringify(closed))
  assert.ok(closed.queryMessages < guided.queryMessages, JSON.stringify({ guided, closed }))
})

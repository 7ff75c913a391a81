import assert from 'node:assert/strict'
import { test } from 'node:test'
import { addressKey, type Address } from '../../src/core/address.js'
import { SeededRandom } from '../../src/core/random.js'
import { instant } from '../../src/core/time.js'
import {
  isFirewalled,
  Servent,
  serventConfig,
  SharedLibrary,
  type GnutellaEvent,
  type Role,
} from '../../src/protocols/gnutella/index.js'
import { StreamFabric } from '../../src/lab/scenarios/gnutella-fabric.js'
import { Scheduler } from '../../src/sim/scheduler.js'

/**
 * Push on the simulator's timeline: a firewalled leaf's QueryHit carries the push flag, and
 * the downloader's Push travels back along the QueryHit's path (through the ultrapeer) to the
 * firewalled servent, which is asked to connect back to the downloader's address.
 */
const downloader: Address = { host: '10.0.0.1', port: 6346 }
const ultrapeer: Address = { host: '10.0.0.2', port: 6346 }
const sharer: Address = { host: '10.0.0.3', port: 6346 }

function network(firewalled: boolean) {
  const scheduler = new Scheduler()
  const fabric = new StreamFabric(scheduler, 20)
  const random = new SeededRandom(1)
  const events = new Map<string, GnutellaEvent[]>()
  const make = (address: Address, role: Role, library = new SharedLibrary(), wall = false) => {
    const servent = new Servent(
      serventConfig({ advertised: address, role, firewalled: wall, qrpRefreshMs: 100 }),
      { random: random.fork(addressKey(address)), library },
      scheduler.now(),
    )
    const seen: GnutellaEvent[] = []
    events.set(addressKey(address), seen)
    return { servent, handle: fabric.attach(servent, address, (e) => seen.push(e)) }
  }
  const library = new SharedLibrary()
  library.add({ fileIndex: 3, fileName: 'blue danube.ogg', fileSize: 4000, urns: [] })
  const up = make(ultrapeer, 'ultrapeer')
  const d = make(downloader, 'leaf')
  const f = make(sharer, 'leaf', library, firewalled)
  for (const leaf of [d, f]) {
    leaf.servent.connect(scheduler.now(), ultrapeer)
    leaf.handle.flush()
  }
  up.handle.flush()
  scheduler.run({ until: instant(2_000) })
  return { scheduler, d, f, up, events }
}

test('a firewalled servent says so in its QueryHits; the Push goes back along the reverse path to it', () => {
  const { scheduler, d, events } = network(true)
  const id = d.servent.search(scheduler.now(), 'danube')
  d.handle.flush()
  scheduler.run({ until: instant(4_000) })
  const hit = (events.get(addressKey(downloader)) ?? []).find(
    (e): e is Extract<GnutellaEvent, { type: 'query_hit' }> =>
      e.type === 'query_hit' && e.queryId === id,
  )
  assert.ok(hit !== undefined, 'the hit came back')
  assert.equal(isFirewalled(hit.hit.trailer), true)
  assert.deepEqual({ host: hit.hit.ip, port: hit.hit.port }, sharer)

  assert.equal(d.servent.push(hit.hit.serventId, 3), true)
  d.handle.flush()
  scheduler.run({ until: instant(5_000) })
  const asked = (events.get(addressKey(sharer)) ?? []).filter((e) => e.type === 'push_requested')
  assert.deepEqual(asked, [{ type: 'push_requested', fileIndex: 3, to: downloader }])
  // The ultrapeer in the middle was not the target: it only relayed.
  const relayed = (events.get(addressKey(ultrapeer)) ?? []).filter(
    (e) => e.type === 'push_requested',
  )
  assert.equal(relayed.length, 0)
  // A servent id never seen in a QueryHit has no route back.
  assert.equal(d.servent.push(new Uint8Array(16).fill(7), 3), false)
})

test('a reachable servent clears the push flag', () => {
  const { scheduler, d, events } = network(false)
  const id = d.servent.search(scheduler.now(), 'danube')
  d.handle.flush()
  scheduler.run({ until: instant(4_000) })
  const hit = (events.get(addressKey(downloader)) ?? []).find(
    (e): e is Extract<GnutellaEvent, { type: 'query_hit' }> =>
      e.type === 'query_hit' && e.queryId === id,
  )
  assert.ok(hit !== undefined)
  assert.equal(isFirewalled(hit.hit.trailer), false)
})

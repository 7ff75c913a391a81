import assert from 'node:assert/strict'
import type { Address } from '../../src/core/address.js'
import type { DatagramSocket } from '../../src/core/env.js'
import { instant } from '../../src/core/time.js'
import { constantLatency } from '../../src/sim/latency.js'
import { SimWorld } from '../../src/sim/world.js'
import { addr, bind, MBPS, seededTest } from './helpers.js'

const fast = { uploadBytesPerSecond: 100 * MBPS, downloadBytesPerSecond: 100 * MBPS }

function pair(world: SimWorld): { a: DatagramSocket; b: DatagramSocket; received: Received[] } {
  const hostA = world.addHost(fast)
  const hostB = world.addHost(fast)
  const received: Received[] = []
  const sockets: DatagramSocket[] = []
  bind(hostA.env, 4000, (s) => sockets.push(s))
  bind(hostB.env, 4000, (s) => {
    sockets.push(s)
    s.onReceive((from, bytes) => received.push({ at: world.now(), from, bytes }))
  })
  world.runUntilIdle()
  const [a, b] = sockets
  assert.ok(a !== undefined && b !== undefined)
  return { a, b, received }
}

interface Received {
  readonly at: number
  readonly from: Address
  readonly bytes: Uint8Array
}

seededTest(
  'a datagram arrives after the latency, from the sender address, as a copy',
  1,
  (seed) => {
    const world = new SimWorld({ seed, latency: constantLatency(30) })
    const { a, b, received } = pair(world)
    const bytes = new Uint8Array([1, 2, 3])
    a.send(b.local, bytes)
    bytes[0] = 99 // the sender reuses its buffer: the receiver must not see it
    world.runUntilIdle()
    assert.equal(received.length, 1, `SEED=${seed}`)
    const [got] = received
    assert.deepEqual(got?.bytes, new Uint8Array([1, 2, 3]))
    assert.deepEqual(got?.from, a.local)
    // 30 ms latency plus 3 bytes through a 100 MB/s uplink.
    assert.ok(Math.abs((got?.at ?? 0) - 30) < 0.001, `arrived at ${got?.at}; SEED=${seed}`)
  },
)

seededTest('loss drops about the configured ratio', 2, (seed) => {
  const world = new SimWorld({ seed, lossRatio: 0.2 })
  const { a, b, received } = pair(world)
  const count = 20_000
  for (let i = 0; i < count; i++) a.send(b.local, new Uint8Array(8))
  world.runUntilIdle()
  const lost = 1 - received.length / count
  // 4 standard deviations of a binomial(20000, 0.2) ratio is about 0.011.
  assert.ok(Math.abs(lost - 0.2) < 0.012, `lost ${lost}; SEED=${seed}`)
  const counters = world.networkCounters()
  assert.equal(counters['datagramsLost'], count - received.length, `SEED=${seed}`)
  assert.equal(counters['datagramsSent'], count)
})

seededTest(
  'duplication delivers about the configured ratio twice, as separate copies',
  3,
  (seed) => {
    const world = new SimWorld({ seed, duplicateRatio: 0.1 })
    const { a, b, received } = pair(world)
    const count = 10_000
    for (let i = 0; i < count; i++) a.send(b.local, new Uint8Array([i & 0xff]))
    world.runUntilIdle()
    const extra = received.length / count - 1
    assert.ok(Math.abs(extra - 0.1) < 0.012, `duplicated ${extra}; SEED=${seed}`)
    const first = received[0]?.bytes
    const twin = received.find((r, i) => i > 0 && r.bytes[0] === first?.[0])
    if (twin !== undefined) assert.notEqual(twin.bytes, first, 'copies are separate arrays')
  },
)

seededTest(
  'a per-link override beats the world ratio; a host override applies to its links',
  4,
  (seed) => {
    const world = new SimWorld({ seed, lossRatio: 0.5 })
    const { a, b, received } = pair(world)
    const [hostA, hostB] = world.hosts
    assert.ok(hostA !== undefined && hostB !== undefined)
    world.setLink(hostA, hostB, { lossRatio: 0 })
    for (let i = 0; i < 100; i++) a.send(b.local, new Uint8Array(1))
    world.runUntilIdle()
    assert.equal(received.length, 100, `SEED=${seed}`)
    const hostC = world.addHost({ ...fast, lossRatio: 1 })
    const fromC: DatagramSocket[] = []
    bind(hostC.env, 5, (s) => fromC.push(s))
    world.runUntilIdle()
    for (let i = 0; i < 100; i++) fromC[0]?.send(b.local, new Uint8Array(1))
    world.runUntilIdle()
    assert.equal(received.length, 100, `SEED=${seed}`)
  },
)

seededTest(
  'no socket, unknown address, oversize, host down: dropped silently and counted',
  5,
  (seed) => {
    const world = new SimWorld({ seed })
    const { a, b, received } = pair(world)
    a.send(addr(b.local.host, 9999), new Uint8Array(4))
    a.send(addr('192.0.2.1', 4000), new Uint8Array(4))
    a.send(b.local, new Uint8Array(65_508))
    a.send(b.local, new Uint8Array(65_507))
    world.runUntilIdle()
    assert.equal(received.length, 1)
    world.hosts[1]?.crash()
    a.send(b.local, new Uint8Array(4))
    world.runUntilIdle()
    const c = world.networkCounters()
    assert.equal(c['datagramsDroppedNoSocket'], 1)
    assert.equal(c['datagramsDroppedNoRoute'], 1)
    assert.equal(c['datagramsDroppedOversize'], 1)
    assert.equal(c['datagramsDroppedHostDown'], 1)
    assert.equal(c['datagramsDelivered'], 1)
  },
)

seededTest(
  'the uplink serialises datagrams: 100 x 10 kB at 1 MB/s take about a second',
  6,
  (seed) => {
    const world = new SimWorld({ seed, latency: constantLatency(10) })
    const slow = world.addHost({ uploadBytesPerSecond: MBPS, downloadBytesPerSecond: MBPS })
    const sink = world.addHost(fast)
    let sender: DatagramSocket | undefined
    let last = 0
    bind(slow.env, 1, (s) => (sender = s))
    bind(sink.env, 2, (s) => s.onReceive(() => (last = world.now())))
    world.runUntilIdle()
    for (let i = 0; i < 100; i++) sender?.send(addr(sink.address, 2), new Uint8Array(10_000))
    world.runUntilIdle()
    // The last datagram leaves at 1000 ms and arrives 10 ms later.
    assert.ok(Math.abs(last - 1010) < 0.5, `last arrival at ${last}; SEED=${seed}`)
  },
)

seededTest('a full uplink queue drops (tail drop) and counts', 7, (seed) => {
  const world = new SimWorld({ seed, datagramQueueBytesMax: 50_000 })
  const slow = world.addHost({ uploadBytesPerSecond: MBPS, downloadBytesPerSecond: MBPS })
  const sink = world.addHost(fast)
  let sender: DatagramSocket | undefined
  let got = 0
  bind(slow.env, 1, (s) => (sender = s))
  bind(sink.env, 2, (s) => s.onReceive(() => got++))
  world.runUntilIdle()
  for (let i = 0; i < 100; i++) sender?.send(addr(sink.address, 2), new Uint8Array(10_000))
  world.runUntilIdle()
  assert.ok(got >= 5 && got <= 7, `got ${got}; SEED=${seed}`)
  assert.equal(world.networkCounters()['datagramsDroppedQueue'], 100 - got)
})

seededTest('bind: port in use, foreign address, ephemeral ports', 8, (seed) => {
  const world = new SimWorld({ seed })
  const host = world.addHost(fast)
  const results: string[] = []
  host.env.net.bindDatagram(addr('0.0.0.0', 7), (r) => results.push(r.ok ? 'ok' : r.error.code))
  host.env.net.bindDatagram(addr(host.address, 7), (r) => results.push(r.ok ? 'ok' : r.error.code))
  host.env.net.bindDatagram(addr('10.9.9.9', 8), (r) => results.push(r.ok ? 'ok' : r.error.code))
  host.env.net.bindDatagram(addr('0.0.0.0', 0), (r) =>
    results.push(r.ok ? String(r.value.local.port) : r.error.code),
  )
  assert.deepEqual(results, [], 'callbacks never run inside the call')
  world.run({ until: instant(0) })
  assert.deepEqual(results, ['ok', 'address_in_use', 'unreachable', '49152'])
})

import assert from 'node:assert/strict'
import { ms, seconds } from '../../src/core/time.js'
import type { SimHost } from '../../src/sim/host.js'
import { constantLatency } from '../../src/sim/latency.js'
import { SimWorld } from '../../src/sim/world.js'
import { MBPS, pattern, seededTest } from './helpers.js'
import { connectPair } from './stream-harness.js'

const KBPS = 1000

function host(world: SimWorld, up: number, down: number): SimHost {
  return world.addHost({ uploadBytesPerSecond: up, downloadBytesPerSecond: down })
}

/** Starts an endless bulk transfer from `from` to `to`; returns a reader of bytes received. */
function bulk(world: SimWorld, from: SimHost, to: SimHost, port: number): () => number {
  const connection = connectPair(world, from, to, port)
  let received = 0
  connection.server.onData((bytes) => (received += bytes.length))
  const piece = pattern(64 * 1024)
  const pump = (): void => {
    while (connection.client.write(piece.slice()));
  }
  connection.client.onDrain(pump)
  pump()
  return () => received
}

/** Bytes per second each reader gains over `span` seconds of virtual time. */
function rates(world: SimWorld, readers: (() => number)[], span: number): number[] {
  const before = readers.map((read) => read())
  world.runFor(seconds(span))
  return readers.map((read, i) => (read() - (before[i] as number)) / span)
}

const near = (actual: number, expected: number, tolerance = 0.02): boolean =>
  Math.abs(actual - expected) <= expected * tolerance

seededTest('two flows from a 1 MB/s uploader get about 500 kB/s each', 51, (seed) => {
  const world = new SimWorld({ seed, latency: constantLatency(20) })
  const uploader = host(world, MBPS, MBPS)
  const b = host(world, 10 * MBPS, 10 * MBPS)
  const c = host(world, 10 * MBPS, 10 * MBPS)
  const readers = [bulk(world, uploader, b, 80), bulk(world, uploader, c, 81)]
  world.runFor(seconds(1))
  const [rb, rc] = rates(world, readers, 10)
  assert.ok(
    near(rb as number, 500 * KBPS) && near(rc as number, 500 * KBPS),
    `${rb} ${rc}; SEED=${seed}`,
  )
})

seededTest(
  'max-min: a flow held back by a slow receiver leaves the rest to the other',
  52,
  (seed) => {
    const world = new SimWorld({ seed, latency: constantLatency(20) })
    const uploader = host(world, MBPS, MBPS)
    const slow = host(world, MBPS, 200 * KBPS)
    const quick = host(world, MBPS, 10 * MBPS)
    const readers = [bulk(world, uploader, slow, 80), bulk(world, uploader, quick, 81)]
    world.runFor(seconds(1))
    const [rs, rq] = rates(world, readers, 10)
    assert.ok(near(rs as number, 200 * KBPS), `slow got ${rs}; SEED=${seed}`)
    assert.ok(near(rq as number, 800 * KBPS), `quick got ${rq}; SEED=${seed}`)
  },
)

seededTest(
  'a receiver shared by two uploaders; when one stops the other takes it all',
  53,
  (seed) => {
    const world = new SimWorld({ seed, latency: constantLatency(10) })
    const small = host(world, 300 * KBPS, MBPS)
    const big = host(world, 10 * MBPS, MBPS)
    const sink = host(world, MBPS, MBPS)
    const readers = [bulk(world, small, sink, 80), bulk(world, big, sink, 81)]
    world.runFor(seconds(1))
    const [rs, rb] = rates(world, readers, 10)
    assert.ok(
      near(rs as number, 300 * KBPS) && near(rb as number, 700 * KBPS),
      `${rs} ${rb}; SEED=${seed}`,
    )
    small.crash()
    world.runFor(seconds(1))
    const [, alone] = rates(world, readers, 10)
    assert.ok(near(alone as number, MBPS), `alone got ${alone}; SEED=${seed}`)
  },
)

seededTest('a stream moves at most one window per round trip', 54, (seed) => {
  const world = new SimWorld({
    seed,
    latency: constantLatency(50),
    receiveWindowBytes: 100_000,
  })
  const a = host(world, 100 * MBPS, 100 * MBPS)
  const b = host(world, 100 * MBPS, 100 * MBPS)
  const readers = [bulk(world, a, b, 80)]
  world.runFor(seconds(1))
  const [rate] = rates(world, readers, 10)
  // 100 kB per 100 ms round trip, a little less for serialisation.
  assert.ok(near(rate as number, MBPS, 0.05), `rate ${rate}; SEED=${seed}`)
})

seededTest('reallocation touches only the flows connected to a change', 55, (seed) => {
  const world = new SimWorld({ seed, latency: constantLatency(10) })
  const pairs: (() => number)[] = []
  for (let i = 0; i < 20; i++) {
    const a = host(world, MBPS, MBPS)
    const b = host(world, MBPS, MBPS)
    pairs.push(bulk(world, a, b, 80))
  }
  world.runFor(seconds(1))
  const before = world.networkCounters()
  const extra = [host(world, MBPS, MBPS), host(world, MBPS, MBPS)] as const
  pairs.push(bulk(world, extra[0], extra[1], 80))
  world.runFor(seconds(1))
  const after = world.networkCounters()
  const visited = (after['bandwidthFlowsVisited'] ?? 0) - (before['bandwidthFlowsVisited'] ?? 0)
  const reallocations =
    (after['bandwidthReallocations'] ?? 0) - (before['bandwidthReallocations'] ?? 0)
  // The 20 old pairs never change: each reallocation sees only the new pair's flow(s).
  assert.ok(visited <= reallocations * 2, `visited ${visited} in ${reallocations}; SEED=${seed}`)
})

/** A mesh of `count` hosts, each pushing bulk data to every other: one big component. */
function meshThroughput(seed: number, quantumMs: number, count: number): number[] {
  const world = new SimWorld({
    seed,
    latency: constantLatency(10),
    fairShareQuantum: ms(quantumMs),
    // Flows here get a few kB/s: small chunks keep the byte counts from being too coarse.
    chunkBytes: 512,
  })
  const hosts = Array.from({ length: count }, (_, i) =>
    host(world, (1 + (i % 3)) * 100 * KBPS, (1 + (i % 4)) * 150 * KBPS),
  )
  const readers: (() => number)[] = []
  for (const [i, from] of hosts.entries()) {
    for (const [j, to] of hosts.entries())
      if (i !== j) readers.push(bulk(world, from, to, 1000 + i))
  }
  world.runFor(seconds(2))
  return rates(world, readers, 10)
}

seededTest('a big component (> 512 flows) converges to the exact max-min shares', 56, (seed) => {
  const count = 24 // 552 flows
  const exact = meshThroughput(seed, 0, count)
  const quantized = meshThroughput(seed, 100, count)
  const total = (values: number[]): number => values.reduce((a, b) => a + b, 0)
  assert.ok(near(total(quantized), total(exact), 0.01), `totals; SEED=${seed}`)
  const worst = Math.max(
    ...exact.map((rate, i) => Math.abs((quantized[i] as number) - rate) / rate),
  )
  assert.ok(worst < 0.05, `worst flow off by ${worst}; SEED=${seed}`)
})

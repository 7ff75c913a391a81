import assert from 'node:assert/strict'
import { seconds } from '../../src/core/time.js'
import { constantLatency } from '../../src/sim/latency.js'
import { SimWorld } from '../../src/sim/world.js'
import { concat, MBPS, pattern, seededTest } from './helpers.js'
import { connectPair } from './stream-harness.js'

/**
 * How the stream model moves bytes (src/sim/flow.ts): by reference, in chunks that end on
 * write boundaries, corked bursts together, and sparse writes outside the fair-share
 * allocator, always in order.
 */

const host = { uploadBytesPerSecond: 1 * MBPS, downloadBytesPerSecond: 4 * MBPS }

seededTest(
  'a sparse write skips the allocator and arrives after size/rate + latency',
  41,
  (seed) => {
    const world = new SimWorld({ seed, latency: constantLatency(20) })
    const a = world.addHost(host)
    const b = world.addHost(host)
    const connection = connectPair(world, a, b)
    const before = world.networkCounters()['bandwidthReallocations']
    let arrivedAt = -1
    connection.server.onData(() => (arrivedAt = world.now()))
    const start = world.now()
    connection.client.write(new Uint8Array(1000))
    world.runFor(seconds(1))
    // 1000 bytes at the sender's 1 MB/s: 1 ms on the wire, then 20 ms of latency.
    assert.equal(arrivedAt - start, 21, `SEED=${seed}`)
    assert.equal(world.networkCounters()['bandwidthReallocations'], before, `SEED=${seed}`)
  },
)

seededTest(
  'buffers arrive as the very buffers written, chunks ending on their bounds',
  42,
  (seed) => {
    const world = new SimWorld({ seed, latency: constantLatency(10), chunkBytes: 64 * 1024 })
    const a = world.addHost(host)
    const b = world.addHost(host)
    const connection = connectPair(world, a, b)
    const written = [
      pattern(20_000, 1),
      pattern(20_000, 2),
      pattern(20_000, 3),
      pattern(100_000, 4),
    ]
    const got: Uint8Array[] = []
    connection.server.onData((bytes) => got.push(bytes))
    connection.client.cork()
    for (const buffer of written) connection.client.write(buffer)
    connection.client.uncork()
    world.runFor(seconds(2))
    assert.deepEqual(concat(got), concat(written), `SEED=${seed}`)
    // The three 20 kB writes fit one 64 KiB chunk whole; the 100 kB one is cut at 64 KiB.
    assert.deepEqual(
      got.map((bytes) => bytes.length),
      [20_000, 20_000, 20_000, 65_536, 100_000 - 65_536],
      `SEED=${seed}`,
    )
    for (let i = 0; i < 3; i++) assert.equal(got[i], written[i], `write ${i} is not copied`)
    assert.equal(got[3]?.buffer, written[3]?.buffer, 'a cut buffer is a view, not a copy')
  },
)

seededTest('the buffers of one delivery say `more` until the last', 43, (seed) => {
  const world = new SimWorld({ seed, latency: constantLatency(10) })
  const a = world.addHost(host)
  const b = world.addHost(host)
  const connection = connectPair(world, a, b)
  const flags: boolean[] = []
  connection.server.onData((_bytes, more) => flags.push(more === true))
  connection.client.cork()
  for (let i = 0; i < 3; i++) connection.client.write(new Uint8Array(100))
  connection.client.uncork()
  world.runFor(seconds(1))
  assert.deepEqual(flags, [true, true, false], `SEED=${seed}`)
})

seededTest('sparse writes behind bulk data and after it keep the stream in order', 44, (seed) => {
  const world = new SimWorld({ seed, latency: constantLatency(30), chunkBytes: 16 * 1024 })
  const a = world.addHost(host)
  const b = world.addHost(host)
  const connection = connectPair(world, a, b)
  const got: Uint8Array[] = []
  connection.server.onData((bytes) => got.push(bytes))
  const sent: Uint8Array[] = []
  const send = (bytes: Uint8Array): void => {
    sent.push(bytes)
    connection.client.write(bytes)
  }
  send(pattern(900, 1)) // sparse: the stream is idle
  send(pattern(50_000, 2)) // bulk: waits for nothing, takes a share
  send(pattern(10, 3)) // queued behind the bulk data
  world.runFor(seconds(1))
  send(pattern(1400, 4)) // idle again: sparse
  send(pattern(5, 5)) // right behind it, while the first is on the wire
  world.runFor(seconds(1))
  assert.deepEqual(concat(got), concat(sent), `SEED=${seed}`)
})

import assert from 'node:assert/strict'
import { seconds } from '../../src/core/time.js'
import { constantLatency } from '../../src/sim/latency.js'
import { SimWorld } from '../../src/sim/world.js'
import { concat, MBPS, pattern, seededTest } from './helpers.js'
import { connectPair, totalBytes, writeAll } from './stream-harness.js'

const fast = { uploadBytesPerSecond: 10 * MBPS, downloadBytesPerSecond: 10 * MBPS }

seededTest('many writes arrive in order, byte for byte, both ways', 31, (seed) => {
  const world = new SimWorld({ seed, latency: constantLatency(15) })
  const a = world.addHost(fast)
  const b = world.addHost(fast)
  const connection = connectPair(world, a, b)
  const up = pattern(1_000_003, 1)
  const down = pattern(333_333, 2)
  writeAll(connection.client, up, 1000)
  writeAll(connection.server, down, 7777)
  world.runFor(seconds(5))
  assert.deepEqual(concat(connection.serverGot), up, `SEED=${seed}`)
  assert.deepEqual(concat(connection.clientGot), down, `SEED=${seed}`)
})

seededTest('N bytes at rate R take about N/R plus the latency', 32, (seed) => {
  const world = new SimWorld({ seed, latency: constantLatency(50) })
  const a = world.addHost({ uploadBytesPerSecond: 2 * MBPS, downloadBytesPerSecond: 2 * MBPS })
  const b = world.addHost(fast)
  const connection = connectPair(world, a, b)
  const size = 4_000_000
  let doneAt = -1
  connection.server.onData((bytes) => {
    connection.serverGot.push(bytes)
    if (totalBytes(connection.serverGot) === size) doneAt = world.now()
  })
  const start = world.now()
  writeAll(connection.client, pattern(size), 64 * 1024)
  world.runFor(seconds(10))
  const expected = (size / (2 * MBPS)) * 1000 + 50
  assert.ok(Math.abs(doneAt - start - expected) < 1, `took ${doneAt - start} ms; SEED=${seed}`)
})

seededTest(
  'write returns false above the high-water mark and onDrain fires below the low one',
  33,
  (seed) => {
    const world = new SimWorld({ seed, streamHighWaterBytes: 10_000, streamLowWaterBytes: 2_000 })
    const a = world.addHost(fast)
    const b = world.addHost(fast)
    const { client } = connectPair(world, a, b)
    const results: boolean[] = []
    for (let i = 0; i < 4; i++) results.push(client.write(new Uint8Array(3000)))
    assert.deepEqual(results, [true, true, true, false], `SEED=${seed}`)
    let drained = 0
    client.onDrain(() => drained++)
    world.runFor(seconds(1))
    assert.equal(drained, 1, `SEED=${seed}`)
  },
)

seededTest(
  'a paused receiver stalls the sender; resuming delivers everything in order',
  34,
  (seed) => {
    const world = new SimWorld({
      seed,
      receiveWindowBytes: 100_000,
      streamHighWaterBytes: 50_000,
    })
    const a = world.addHost(fast)
    const b = world.addHost(fast)
    const connection = connectPair(world, a, b)
    connection.server.pause()
    const data = pattern(2_000_000, 9)
    let finishedWriting = false
    writeAll(connection.client, data, 10_000, () => (finishedWriting = true))
    world.runFor(seconds(5))
    assert.equal(
      totalBytes(connection.serverGot),
      0,
      `nothing delivered while paused; SEED=${seed}`,
    )
    assert.equal(finishedWriting, false, `the sender is held back; SEED=${seed}`)
    const sent = a.traffic().streamBytesSent
    // Exactly a window (100 kB) left the sender, not the whole 2 MB.
    assert.equal(sent, 100_000, `SEED=${seed}`)
    connection.server.resume()
    world.runFor(seconds(5))
    assert.ok(finishedWriting, `SEED=${seed}`)
    assert.deepEqual(concat(connection.serverGot), data, `SEED=${seed}`)
  },
)

seededTest('pausing from inside onData stops delivery at once', 35, (seed) => {
  const world = new SimWorld({ seed, chunkBytes: 1000 })
  const a = world.addHost(fast)
  const b = world.addHost(fast)
  const connection = connectPair(world, a, b)
  let chunks = 0
  connection.server.onData(() => {
    chunks++
    connection.server.pause()
  })
  connection.client.write(new Uint8Array(10_000))
  world.runFor(seconds(1))
  assert.equal(chunks, 1, `SEED=${seed}`)
  connection.server.resume()
  world.runFor(seconds(1))
  assert.equal(chunks, 2, `one more per resume; SEED=${seed}`)
})

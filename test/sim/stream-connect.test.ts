import assert from 'node:assert/strict'
import type { Callback, StreamSocket } from '../../src/core/env.js'
import { ms, seconds } from '../../src/core/time.js'
import { constantLatency } from '../../src/sim/latency.js'
import { SimWorld } from '../../src/sim/world.js'
import { addr, listen, MBPS, seededTest, unwrap } from './helpers.js'

const fast = { uploadBytesPerSecond: 10 * MBPS, downloadBytesPerSecond: 10 * MBPS }

seededTest(
  'connect completes after one RTT; the listener accepts at 1.5 RTT; bytes follow',
  21,
  (seed) => {
    const world = new SimWorld({ seed, latency: constantLatency(40) })
    const server = world.addHost(fast)
    const client = world.addHost(fast)
    const events: string[] = []
    listen(server.env, 80, (socket) => {
      events.push(`accepted@${world.now()} from ${socket.remote.host}`)
      socket.onData((bytes) => events.push(`server got ${bytes.length}@${world.now()}`))
    })
    world.runUntilIdle()
    const start = world.now()
    client.env.net.connect(addr(server.address, 80), (result) => {
      const socket = unwrap(result, 'connect')
      events.push(`connected@${world.now() - start} local ${socket.local.host}`)
      socket.write(new Uint8Array(100))
    })
    world.runUntilIdle()
    assert.deepEqual(
      events,
      [
        `connected@80 local ${client.address}`,
        `accepted@${start + 120} from ${client.address}`,
        // 100 bytes at 10 MB/s take 0.01 ms to serialise, then 40 ms across.
        `server got 100@${start + 120.01}`,
      ],
      `SEED=${seed}`,
    )
    const counters = world.networkCounters()
    assert.equal(counters['streamsEstablished'], 1)
    assert.equal(counters['streamsAccepted'], 1)
  },
)

seededTest('connect to a host with no listener is refused after one RTT', 22, (seed) => {
  const world = new SimWorld({ seed, latency: constantLatency(25) })
  const server = world.addHost(fast)
  const client = world.addHost(fast)
  let outcome = ''
  client.env.net.connect(addr(server.address, 81), (result) => {
    outcome = result.ok ? 'connected' : `${result.error.code}@${world.now()}`
  })
  world.runUntilIdle()
  assert.equal(outcome, 'refused@50', `SEED=${seed}`)
})

seededTest(
  'connect to a crashed host, or to nobody, times out after the connect timeout',
  23,
  (seed) => {
    const world = new SimWorld({ seed, latency: constantLatency(25) })
    const server = world.addHost(fast)
    const client = world.addHost(fast)
    listen(server.env, 80, () => undefined)
    world.runUntilIdle()
    server.crash()
    const outcomes: string[] = []
    const report =
      (label: string): Callback<StreamSocket> =>
      (result) =>
        outcomes.push(`${label} ${result.ok ? 'connected' : result.error.code}@${world.now()}`)
    client.env.net.connect(addr(server.address, 80), report('crashed'))
    client.env.net.connect(addr('10.200.0.1', 80), report('nobody'), { timeout: ms(3000) })
    world.runUntilIdle()
    assert.deepEqual(outcomes, ['nobody timeout@3000', 'crashed timeout@10000'], `SEED=${seed}`)
    assert.equal(world.networkCounters()['streamConnectTimeouts'], 2)
  },
)

seededTest('a closed listener refuses; a restarted host listens again', 24, (seed) => {
  const world = new SimWorld({ seed, latency: constantLatency(10) })
  const server = world.addHost(fast)
  const client = world.addHost(fast)
  const outcomes: string[] = []
  const tryConnect = (): void =>
    client.env.net.connect(addr(server.address, 80), (result) =>
      outcomes.push(result.ok ? 'connected' : result.error.code),
    )
  listen(
    server.env,
    80,
    () => undefined,
    (listener) => listener.close(),
  )
  world.runUntilIdle()
  tryConnect()
  world.runUntilIdle()
  server.crash()
  server.restart((env) => listen(env, 80, () => undefined))
  world.runUntilIdle()
  tryConnect()
  world.runFor(seconds(1))
  assert.deepEqual(outcomes, ['refused', 'connected'], `SEED=${seed}`)
})

seededTest('callbacks are never run inside the call that registers them', 25, (seed) => {
  const world = new SimWorld({ seed, latency: constantLatency(0) })
  const server = world.addHost(fast)
  const client = world.addHost(fast)
  const sockets: { accepted?: StreamSocket; connected?: StreamSocket } = {}
  listen(server.env, 80, (socket) => (sockets.accepted = socket))
  world.runUntilIdle()
  client.env.net.connect(addr(server.address, 80), (r) => {
    sockets.connected = unwrap(r, 'connect')
  })
  const before = sockets.connected
  assert.equal(before, undefined)
  world.runUntilIdle()
  const { accepted, connected } = sockets
  assert.ok(connected !== undefined && accepted !== undefined)
  const got: number[] = []
  accepted.write(new Uint8Array(5))
  world.runUntilIdle()
  connected.onData((bytes) => got.push(bytes.length))
  assert.deepEqual(got, [], 'buffered data waits for the next event')
  world.runUntilIdle()
  assert.deepEqual(got, [5])
})

seededTest('a burst of 1,000 connects to one listener all get in (SYN cookies)', 26, (seed) => {
  // 1,000 peers announcing to one tracker at t = 0: Linux answers past a full SYN queue with
  // SYN cookies; the simulator dropped every SYN past 128 and half the announces timed out.
  const world = new SimWorld({ seed, latency: constantLatency(30) })
  const server = world.addHost(fast)
  const clients = Array.from({ length: 1000 }, () => world.addHost(fast))
  let accepted = 0
  listen(server.env, 80, () => accepted++)
  world.runUntilIdle()
  let connected = 0
  for (const client of clients) {
    client.env.net.connect(addr(server.address, 80), (r) => (connected += r.ok ? 1 : 0), {
      timeout: seconds(30),
    })
  }
  world.runFor(seconds(1))
  assert.equal(connected, 1000, `SEED=${seed}`)
  assert.equal(accepted, 1000, `SEED=${seed}`)
})

seededTest('a SYN dropped by a full backlog is sent again after 1, 2, 4 s', 27, (seed) => {
  const world = new SimWorld({ seed, latency: constantLatency(30), listenBacklogMax: 1 })
  const server = world.addHost(fast)
  const clients = [world.addHost(fast), world.addHost(fast)]
  // The listener never completes a handshake in time for the second SYN: it accepts, and the
  // half-open slot frees only when the first client's ACK arrives (90 ms).
  listen(server.env, 80, () => undefined)
  world.runUntilIdle()
  const start = world.now()
  const connectedAt: number[] = []
  for (const client of clients) {
    client.env.net.connect(addr(server.address, 80), (r) => {
      assert.ok(r.ok, `SEED=${seed}`)
      connectedAt.push(world.now() - start)
    })
  }
  world.runFor(seconds(5))
  // The first in one RTT; the second's SYN was dropped and its retransmission at 1 s got in.
  assert.deepEqual(connectedAt, [60, 1060], `SEED=${seed}`)
  assert.equal(world.networkCounters()['streamSynRetransmits'], 1, `SEED=${seed}`)
})

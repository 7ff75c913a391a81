import assert from 'node:assert/strict'
import { seconds } from '../../src/core/time.js'
import type { SimHost } from '../../src/sim/host.js'
import { constantLatency } from '../../src/sim/latency.js'
import { SimWorld } from '../../src/sim/world.js'
import { concat, MBPS, pattern, seededTest } from './helpers.js'
import { connectPair, totalBytes, writeAll, type Connection } from './stream-harness.js'

const fast = { uploadBytesPerSecond: 10 * MBPS, downloadBytesPerSecond: 10 * MBPS }

interface Setup {
  readonly world: SimWorld
  readonly a: SimHost
  readonly b: SimHost
  readonly connection: Connection
}

function setup(seed: number, latencyMs = 20): Setup {
  const world = new SimWorld({ seed, latency: constantLatency(latencyMs) })
  const a = world.addHost(fast)
  const b = world.addHost(fast)
  const connection = connectPair(world, a, b)
  return { world, a, b, connection }
}

/** The only close so far, split into who:reason and when. */
function onlyClose(connection: Connection, seed: number): [string, number] {
  const closes: readonly string[] = connection.closes
  assert.equal(closes.length, 1, `closes ${closes.join(', ')}; SEED=${seed}`)
  const [what, at] = (closes[0] as string).split('@')
  return [what as string, Number(at)]
}

seededTest(
  'end(): the far side gets every byte, then end; we close once its FIN returns',
  41,
  (seed) => {
    const { world, connection } = setup(seed)
    const data = pattern(300_000)
    writeAll(connection.client, data, 50_000, () => connection.client.end())
    world.runFor(seconds(5))
    assert.deepEqual(concat(connection.serverGot), data, `SEED=${seed}`)
    assert.deepEqual(
      connection.closes.map((c) => c.split('@')[0]),
      ['server:end', 'client:local'],
      `SEED=${seed}`,
    )
    assert.equal(connection.client.write(new Uint8Array(1)), false, 'no writes after close')
  },
)

seededTest(
  'the far side may still answer before its FIN: replies after our end() arrive',
  42,
  (seed) => {
    const { world, connection } = setup(seed)
    connection.server.onData(() => connection.server.write(new Uint8Array(10)))
    connection.client.write(new Uint8Array(5))
    connection.client.end()
    world.runFor(seconds(1))
    // The server's reply was written before FIN reached it, so it comes back before its FIN.
    assert.equal(totalBytes(connection.clientGot), 10, `SEED=${seed}`)
    assert.deepEqual(
      connection.closes.map((c) => c.split('@')[0]),
      ['server:end', 'client:local'],
    )
  },
)

seededTest('destroy(): the far side sees reset one latency later', 43, (seed) => {
  const { world, connection } = setup(seed, 30)
  const start = world.now()
  connection.client.destroy()
  world.runFor(seconds(1))
  assert.deepEqual(
    connection.closes,
    [`client:local@${start}`, `server:reset@${start + 30}`],
    `SEED=${seed}`,
  )
})

seededTest('a graceful stop flushes queued bytes and sends FIN', 44, (seed) => {
  const { world, b, connection } = setup(seed)
  const data = pattern(50_000, 3)
  connection.server.write(data)
  b.stop()
  world.runFor(seconds(1))
  assert.deepEqual(concat(connection.clientGot), data, `SEED=${seed}`)
  assert.deepEqual(
    connection.closes.map((c) => c.split('@')[0]),
    ['client:end'],
    `the stopped side says nothing more; SEED=${seed}`,
  )
})

seededTest('a crashed host goes silent: an idle peer learns nothing', 45, (seed) => {
  const { world, b, connection } = setup(seed)
  b.crash()
  world.runFor(seconds(120))
  assert.deepEqual(connection.closes, [], `SEED=${seed}`)
})

seededTest(
  'sending to a crashed host that stays down times out after the retransmission timeout',
  46,
  (seed) => {
    const { world, b, connection } = setup(seed)
    b.crash()
    const start = world.now()
    connection.client.write(new Uint8Array(1000))
    world.runFor(seconds(60))
    const [reason, at] = onlyClose(connection, seed)
    assert.equal(reason, 'client:timeout', `SEED=${seed}`)
    // The 1000 bytes left at once (0.1 ms at 10 MB/s); 30 s later the stream gives up.
    assert.ok(Math.abs(at - start - 30_000) < 1, `timed out at ${at}; SEED=${seed}`)
    assert.equal(world.networkCounters()['streamTimeouts'], 1)
  },
)

seededTest('sending to a crashed-then-restarted host gets reset', 47, (seed) => {
  const { world, b, connection } = setup(seed, 25)
  b.crash()
  b.restart()
  world.runFor(seconds(10))
  const start = world.now()
  connection.client.write(new Uint8Array(100))
  world.runFor(seconds(1))
  const [reason, at] = onlyClose(connection, seed)
  assert.equal(reason, 'client:reset', `SEED=${seed}`)
  assert.ok(Math.abs(at - start - 50) < 1, `reset after one RTT, at ${at}; SEED=${seed}`)
})

seededTest(
  'a host that crashes while its peer streams to it: reset once it is back',
  48,
  (seed) => {
    const { world, b, connection } = setup(seed)
    writeAll(connection.client, pattern(50_000_000), 64 * 1024)
    world.runFor(seconds(1))
    const crashedAt = world.now()
    b.crash()
    world.runFor(seconds(5))
    assert.deepEqual(connection.closes, [], `stalled but not closed yet; SEED=${seed}`)
    b.restart()
    const restartedAt = world.now()
    world.runFor(seconds(20))
    const [reason, at] = onlyClose(connection, seed)
    assert.equal(reason, 'client:reset', `SEED=${seed}`)
    // Probes go at 1, 3, 7 s after the loss: the one at about 7 s finds the host back.
    const after = at - restartedAt
    assert.ok(after > 0 && after < 3000, `reset ${after} ms after restart; SEED=${seed}`)
    assert.ok(at - crashedAt < 30_000, `before the timeout; SEED=${seed}`)
  },
)

seededTest(
  'a crash kills the program: no timers, no callbacks; the new life starts clean',
  49,
  (seed) => {
    const { world, b } = setup(seed)
    const fired: string[] = []
    b.env.clock.setTimer(world.now(), () => fired.push('old'))
    const oldEnv = b.env
    b.crash()
    world.runFor(seconds(1))
    oldEnv.clock.setTimer(world.now(), () => fired.push('old again'))
    b.restart()
    assert.notEqual(b.env, oldEnv)
    b.env.clock.setTimer(world.now(), () => fired.push('new'))
    world.runFor(seconds(1))
    assert.deepEqual(fired, ['new'], `SEED=${seed}`)
  },
)

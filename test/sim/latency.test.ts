import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { DatagramSocket } from '../../src/core/env.js'
import { SeededRandom } from '../../src/core/random.js'
import {
  constantLatency,
  matrixLatency,
  parseLatencyMatrix,
  planeLatency,
  uniformLatency,
} from '../../src/sim/latency.js'
import { SimWorld } from '../../src/sim/world.js'
import { bind, MBPS, seededTest } from './helpers.js'

test('constant latency is constant', () => {
  const model = constantLatency(42)
  assert.equal(model.latencyMs(0, 1, new SeededRandom(1)), 42)
  assert.throws(() => constantLatency(-1))
})

seededTest('uniform latency stays in range and covers it', 91, (seed) => {
  const model = uniformLatency(10, 30)
  const random = new SeededRandom(seed)
  let low = Infinity
  let high = -Infinity
  let sum = 0
  for (let i = 0; i < 10_000; i++) {
    const value = model.latencyMs(0, 1, random)
    low = Math.min(low, value)
    high = Math.max(high, value)
    sum += value
  }
  assert.ok(low >= 10 && high < 30, `range ${low}..${high}; SEED=${seed}`)
  assert.ok(low < 10.1 && high > 29.9, `SEED=${seed}`)
  assert.ok(Math.abs(sum / 10_000 - 20) < 0.3, `mean ${sum / 10_000}; SEED=${seed}`)
})

seededTest('plane latency: base + distance, symmetric, independent of query order', 92, (seed) => {
  const forward = planeLatency({ baseMs: 5, msPerUnit: 2, random: new SeededRandom(seed) })
  const backward = planeLatency({ baseMs: 5, msPerUnit: 2, random: new SeededRandom(seed) })
  const random = new SeededRandom(0)
  const pairs: [number, number][] = [
    [0, 1],
    [7, 3],
    [2, 9],
  ]
  const a = pairs.map(([x, y]) => forward.latencyMs(x, y, random))
  const b = pairs
    .reverse()
    .map(([x, y]) => backward.latencyMs(y, x, random))
    .reverse()
  assert.deepEqual(a, b, `SEED=${seed}`)
  const p = forward.point(7)
  const q = forward.point(3)
  const expected = 5 + 2 * Math.hypot(p.x - q.x, p.y - q.y)
  assert.ok(Math.abs((a[1] as number) - expected) < 1e-9, `SEED=${seed}`)
  assert.equal(forward.latencyMs(4, 4, random), 5)
})

test('a latency matrix parses, maps hosts to rows, and reports bad input', () => {
  const parsed = parseLatencyMatrix('# ms\n0 10 20\n11 0 30\n\n21 31 0\n')
  assert.ok(typeof parsed !== 'string')
  const model = matrixLatency(parsed)
  const random = new SeededRandom(1)
  assert.equal(model.latencyMs(0, 2, random), 20)
  assert.equal(model.latencyMs(2, 1, random), 31)
  assert.equal(model.latencyMs(3, 5, random), 20, 'host i uses row i mod 3')
  const custom = matrixLatency(parsed, () => 1)
  assert.equal(custom.latencyMs(0, 2, random), 0)
  assert.equal(parseLatencyMatrix('1 2\n3'), 'row 2 has 1 cells, expected 2')
  assert.equal(parseLatencyMatrix('0 x\n1 0'), 'line 1: cell 2 is not a non-negative number')
  assert.equal(parseLatencyMatrix(''), 'empty matrix')
})

seededTest('the world uses the model: a datagram takes the modelled latency', 93, (seed) => {
  const parsed = parseLatencyMatrix('0 17\n23 0')
  assert.ok(typeof parsed !== 'string')
  const world = new SimWorld({ seed, latency: matrixLatency(parsed) })
  const fast = { uploadBytesPerSecond: 1000 * MBPS, downloadBytesPerSecond: 1000 * MBPS }
  const a = world.addHost(fast)
  const b = world.addHost(fast)
  const sockets: DatagramSocket[] = []
  const arrivals: number[] = []
  for (const host of [a, b]) {
    bind(host.env, 1, (s) => {
      sockets.push(s)
      s.onReceive(() => arrivals.push(world.now()))
    })
  }
  world.runUntilIdle()
  const [sa, sb] = sockets
  assert.ok(sa !== undefined && sb !== undefined)
  sa.send(sb.local, new Uint8Array(1))
  world.runUntilIdle()
  sb.send(sa.local, new Uint8Array(1))
  world.runUntilIdle()
  assert.ok(Math.abs((arrivals[0] as number) - 17) < 0.01, `SEED=${seed}`)
  assert.ok(Math.abs((arrivals[1] as number) - 17 - 23) < 0.01, `SEED=${seed}`)
})

import assert from 'node:assert/strict'
import { seconds } from '../../src/core/time.js'
import { uniformLatency } from '../../src/sim/latency.js'
import { SimWorld } from '../../src/sim/world.js'
import { seededTest } from './helpers.js'
import { addPingPongHosts } from './workloads.js'

interface Outcome {
  readonly hash: string
  readonly lines: number
  readonly counters: Record<string, number>
  readonly pongs: number
}

function runPingPong(seed: number): Outcome {
  const world = new SimWorld({
    seed,
    latency: uniformLatency(5, 80),
    lossRatio: 0.05,
    duplicateRatio: 0.02,
    trace: { events: true },
  })
  addPingPongHosts(world, 40, { intervalMs: 100, pingsMax: 50 })
  world.runFor(seconds(20))
  return {
    hash: world.traceHash(),
    lines: world.trace.count,
    counters: world.networkCounters(),
    pongs: world.metricCounters().get('pong.received') ?? 0,
  }
}

seededTest('the same seed replays byte for byte; another seed does not', 42, (seed) => {
  const first = runPingPong(seed)
  const second = runPingPong(seed)
  assert.equal(first.hash, second.hash, `not deterministic; reproduce with SEED=${seed}`)
  assert.deepEqual(first.counters, second.counters, `SEED=${seed}`)
  assert.equal(first.lines, second.lines, `SEED=${seed}`)
  assert.ok(first.lines > 4000, `trace has ${first.lines} lines; SEED=${seed}`)
  assert.ok((first.counters['datagramsLost'] ?? 0) > 0, `some loss; SEED=${seed}`)
  assert.ok((first.counters['datagramsDuplicated'] ?? 0) > 0, `some duplicates; SEED=${seed}`)
  assert.ok(first.pongs > 1500, `pongs ${first.pongs}; SEED=${seed}`)
  const other = runPingPong(seed + 1)
  assert.notEqual(first.hash, other.hash, `seeds ${seed} and ${seed + 1} gave the same run`)
})

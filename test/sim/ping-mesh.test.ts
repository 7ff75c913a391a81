import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runPingMesh } from '../../src/lab/scenarios/ping-mesh.js'

const SEED = Number(process.env['SEED'] ?? 7)

test('ping-mesh: 10,000 simulated hosts run the production ping core', () => {
  const report = runPingMesh({ hosts: 10_000, fanout: 2, pings: 2 }, SEED)
  assert.equal(report.hosts, 10_000)
  assert.equal(report.pingsSent, 40_000, `SEED=${SEED}`)
  assert.equal(report.pingsSent, report.pongsReceived + report.timeouts, `SEED=${SEED}`)
  // 1% loss each way: about 2% of pings go unanswered.
  assert.ok(report.observedLossRatio > 0.01 && report.observedLossRatio < 0.03, `SEED=${SEED}`)
  assert.ok(report.rttMs.min >= 10, `RTT below the 2 x 5 ms floor; SEED=${SEED}`)
})

test('ping-mesh: the same seed replays exactly; another seed differs', () => {
  const first = JSON.stringify(runPingMesh({ hosts: 500 }, SEED))
  const second = JSON.stringify(runPingMesh({ hosts: 500 }, SEED))
  const other = JSON.stringify(runPingMesh({ hosts: 500 }, SEED + 1))
  assert.equal(first, second, `not deterministic; reproduce with SEED=${SEED}`)
  assert.notEqual(first, other)
})

test('ping-mesh: without loss every ping is answered', () => {
  const report = runPingMesh({ hosts: 300, lossRatio: 0 }, SEED)
  assert.equal(report.timeouts, 0, `SEED=${SEED}`)
  assert.equal(report.pongsReceived, report.pingsSent)
})

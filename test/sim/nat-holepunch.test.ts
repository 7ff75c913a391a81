import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runNatScenario, type NatRunParams } from '../../src/lab/scenarios/nat-run.js'

/**
 * The hole-punch core over the simulator's NAT boxes, seeded: every session connects; direct
 * exactly where the two NAT behaviours allow it (`directPossible`), relayed otherwise; the
 * same seed gives the same report.
 */
const PARAMS: NatRunParams = {
  peers: 400,
  natRatio: 0.6,
  sessions: 120,
  relays: 4,
  spreadSeconds: 20,
  signalDelayMs: 50,
  lossRatio: 0,
}

test('sim nat: every pair connects, directly only where the NATs allow it', () => {
  const report = runNatScenario(PARAMS, 11)
  assert.equal(report.sessions, PARAMS.sessions)
  assert.equal(report.connected, PARAMS.sessions)
  assert.equal(report.failed, 0)
  for (const row of report.byPair) {
    if (row.directAllowed) assert.equal(row.relayed, 0, `${row.pair} relayed`)
    else assert.equal(row.direct, 0, `${row.pair} direct`)
  }
  // the mix exercises both outcomes, and the relays carried the relayed ones
  assert.ok(report.direct > 0 && report.relayed > 0)
  assert.ok(report.relay.datagramsRelayed > 0)
  assert.ok(report.byPair.some((row) => row.pair === 'symmetric x symmetric'))
  // a relay adds a detour: relayed round trips are slower than direct ones at the median
  assert.ok(report.extraLatencyMs > 0)
})

test('sim nat: the same seed gives the same report', () => {
  const small = { ...PARAMS, peers: 100, sessions: 30 }
  assert.deepEqual(runNatScenario(small, 5), runNatScenario(small, 5))
})

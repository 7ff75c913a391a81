import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runNatScenario, type NatRunParams } from '../../src/lab/scenarios/nat-run.js'

/**
 * The hole-punch core over the simulator's NAT boxes, seeded: every session connects; direct
 * exactly where the two NAT behaviours allow it (`directPossible`), relayed otherwise, through
 * TURN allocations on the supernodes (the scenario itself checks that each relayed session's
 * pair names a supernode's relayed address, and that every allocation is released); the same
 * seed gives the same report.
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
  // TURN by default: both agents of every session allocate (gathering), and release on close
  assert.equal(report.relay.protocol, 'turn')
  assert.equal(report.relay.allocations, 2 * PARAMS.sessions)
  assert.equal(report.relay.allocationsRefused, 0)
  assert.equal(report.relay.openAtEnd, 0)
  assert.equal(report.relay.expired, 0, 'every session deleted its allocation')
  const peak = report.relay.peakAllocationsPerServer
  assert.ok(
    peak !== undefined && peak.max >= 1 && peak.max <= report.relay.allocationsPerServer.max,
  )
  assert.ok(report.relay.bytesRelayedPerServer.max > 0)
  assert.ok(report.byPair.some((row) => row.pair === 'symmetric x symmetric'))
  // a relay adds a detour: relayed round trips are slower than direct ones at the median
  assert.ok(report.extraLatencyMs > 0)
})

test('sim nat: relay-lite supernodes give the same outcomes as TURN ones', () => {
  const small = { ...PARAMS, peers: 150, sessions: 40 }
  const turn = runNatScenario(small, 7)
  const lite = runNatScenario({ ...small, relayProtocol: 'relay-lite' }, 7)
  assert.equal(lite.relay.protocol, 'relay-lite')
  assert.equal(lite.relay.peakAllocationsPerServer, undefined)
  assert.deepEqual(
    lite.byPair.map((row) => [row.pair, row.direct, row.relayed, row.failed]),
    turn.byPair.map((row) => [row.pair, row.direct, row.relayed, row.failed]),
  )
  assert.ok(lite.relayed > 0)
})

test('sim nat: the same seed gives the same report', () => {
  const small = { ...PARAMS, peers: 100, sessions: 30 }
  assert.deepEqual(runNatScenario(small, 5), runNatScenario(small, 5))
})

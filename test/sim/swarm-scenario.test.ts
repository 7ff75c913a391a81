import assert from 'node:assert/strict'
import { test } from 'node:test'
import { internetAddress, runSwarm } from '../../src/lab/scenarios/swarm-run.js'
import { lowerBound, type SwarmReport } from '../../src/lab/scenarios/swarm-report.js'
import type { HostRun } from '../../src/lab/scenarios/swarm-host.js'
import { testSeed } from './helpers.js'

/** The `swarm` lab scenario at small scale: facts that hold for any seed, not tuned numbers. */
const SEED = testSeed(20_261_122)
const SMALL = { peers: 12, fileSize: 1024 * 1024, pieceSize: 64 * 1024, checkEvery: 1 }

function assertSane(report: SwarmReport, label: string): void {
  const why = `${label}; reproduce with SEED=${SEED}`
  assert.deepEqual(report.problems, [], why)
  assert.equal(report.completed, report.leechers, why)
  assert.ok(report.distributionSeconds > 0, why)
  // No schedule beats the fluid bound: a ratio below 1 means the simulator made capacity.
  assert.ok(report.ratio >= 1, `ratio ${report.ratio} < 1: ${why}`)
  assert.ok(report.completionSeconds.max <= report.distributionSeconds, why)
  // Every accepted byte was uploaded by someone (duplicates in endgame are uploaded, not kept).
  assert.ok(report.bytes.fromSeed + report.bytes.fromPeers >= report.bytes.downloaded, why)
  assert.ok(report.bytes.downloaded >= report.leechers * report.fileBytes, why)
}

test('swarm: a small swarm completes, above the fluid lower bound', () => {
  const report = runSwarm(SMALL, SEED)
  assertSane(report, 'rarest-first')
  assert.equal(report.peers, 12)
  assert.equal(report.fileBytes, 1024 * 1024)
  assert.equal(report.piecesFailed, 0)
  assert.ok(report.bytes.fromPeers > 0, 'leechers trade with each other')
})

test('swarm: same seed and parameters give byte-identical JSON', () => {
  const params = { peers: 6, fileSize: 512 * 1024, pieceSize: 32 * 1024, freeRiders: 0.2 }
  const first = JSON.stringify(runSwarm(params, SEED))
  const second = JSON.stringify(runSwarm(params, SEED))
  assert.equal(first, second, `not deterministic; reproduce with SEED=${SEED}`)
  assert.notEqual(JSON.stringify(runSwarm(params, SEED + 1)), first, 'the seed matters')
})

test('swarm: free riders upload nothing and are left out of the distribution time', () => {
  const report = runSwarm({ ...SMALL, freeRiders: 0.25 }, SEED)
  assertSane(report, 'free riders')
  assert.equal(report.policy.freeRiders, 3)
  assert.equal(report.leechers, 9)
  assert.equal(report.bytes.fromFreeRiders, 0)
})

test('swarm: random, sequential, optimistic off complete; sequential is slower on average', () => {
  assertSane(runSwarm({ ...SMALL, picker: 1 }, SEED), 'random')
  assertSane(runSwarm({ ...SMALL, optimistic: 0 }, SEED), 'optimistic off')
  const sequential = runSwarm({ ...SMALL, picker: 2 }, SEED)
  assertSane(sequential, 'sequential')
  // Everyone wanting the same next piece leaves peers less to trade: a longer mean download
  // (true for seeds 1-10 of this size, by 5-17%; distribution time is noisier, not asserted).
  const rarest = runSwarm(SMALL, SEED)
  assert.ok(
    sequential.completionSeconds.mean > rarest.completionSeconds.mean,
    `sequential mean ${sequential.completionSeconds.mean} <= rarest-first ` +
      `${rarest.completionSeconds.mean}; SEED=${SEED}`,
  )
})

test('swarm: Poisson arrivals finish after they arrive; the bound counts the last arrival', () => {
  const report = runSwarm({ ...SMALL, arrivals: 1, arrivalWindow: 5 }, SEED)
  assertSane(report, 'poisson')
  assert.equal(report.arrivals.mode, 'poisson')
  assert.ok(report.lowerBound.arrival > report.lowerBound.slowestDownload)
})

test('lower bound: max of seed upload, slowest download, aggregate upload, arrivals', () => {
  const run = (up: number, down: number, arrivalMs = 0): HostRun => ({
    index: 1,
    role: 'leecher',
    address: '10.0.0.2',
    uploadBytesPerSecond: up,
    downloadBytesPerSecond: down,
    arrivalMs,
    piecesFailed: 0,
  })
  const F = 100e6
  // F/us = 10, F/dmin = 50, N*F/(us + sum u) = 400e6 / 40e6 = 10, arrival 0 + F/dmin = 50.
  assert.deepEqual(
    lowerBound(F, 10e6, [run(10e6, 10e6), run(10e6, 10e6), run(5e6, 2e6), run(5e6, 5e6)]),
    {
      seedUpload: 10,
      slowestDownload: 50,
      aggregateUpload: 10,
      arrival: 50,
    },
  )
  // A late arrival: 100 s + F / 10 MB/s.
  assert.equal(lowerBound(F, 10e6, [run(1e6, 10e6, 100_000)]).arrival, 110)
})

test('swarm hosts sit in /24s of their own, outside the world pool (BEP 6 keys on the /24)', () => {
  const prefixes = new Set<string>()
  for (let index = 0; index < 5000; index++) {
    const address = internetAddress(index)
    assert.match(address, /^10\.(\d+)\.(\d+)\.1$/)
    assert.ok(!address.startsWith('10.0.'), address)
    prefixes.add(address.split('.').slice(0, 3).join('.'))
  }
  assert.equal(prefixes.size, 5000)
})

test('swarm: full peers refuse at the listener, before MSE, what their cores would close', () => {
  // 60 leechers and a seed, each given 60 others by the tracker: every table of 50 fills.
  const report = runSwarm(
    { peers: 60, fileSize: 512 * 1024, pieceSize: 64 * 1024, trackerPeers: 60 },
    SEED,
  )
  assertSane(report, 'full tables')
  const { refusedAtListener, mseAnswered, refusedByCore } = report.connections
  const why = `${JSON.stringify(report.connections)}; reproduce with SEED=${SEED}`
  assert.ok(refusedAtListener > 0, `no table filled: ${why}`)
  // Counting only handshaking and open connections at the listener (not the core's dials
  // under way) let 31 of 1,915 handshakes through to be closed at once (seed 20261122).
  assert.ok(refusedByCore * 100 < mseAnswered, `handshakes wasted on full cores: ${why}`)
})

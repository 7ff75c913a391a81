import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Params } from '../../scenario.js'
import { runGnutella } from '../../scenarios/gnutella.js'
import { runNatScenario } from '../../scenarios/nat-run.js'
import { simulateJob } from '../../scenarios/mapreduce-sim.js'
import { runSwarm } from '../../scenarios/swarm-run.js'
import { lectureSchedules, lectureSwarmParams } from './file-distribution.js'
import { floodPoint, treeFormula } from './flooding.js'
import { jobParams } from './mapreduce.js'
import { canExample, chordExample, coveringRanges } from './worked-examples.js'

/** Each section's invariant on a small seeded run of the same code the report runs. */

test('file distribution: the lecture figures, and a small swarm between the bound and whole-file copies', () => {
  const lecture = lectureSchedules(1e9, 8, 1e6 / 8, 1e6)
  assert.equal(lecture.wholeFileSeconds, 24_000)
  assert.equal(lecture.pipelinedSeconds, 8_056)
  assert.ok(lecture.pipelinedSeconds < lecture.wholeFileSeconds)
  // 10 MB: below a few MB the swarm's start-up (tracker, handshakes, first choke round)
  // outweighs the transfer and whole-file copying wins.
  const fileBytes = 10e6
  const swarm = runSwarm(lectureSwarmParams(fileBytes), 3)
  assert.deepEqual(swarm.problems, [])
  assert.ok(swarm.distributionSeconds >= swarm.lowerBoundSeconds, `${swarm.distributionSeconds}`)
  const small = lectureSchedules(fileBytes, 8, 1e6 / 8, 1e6)
  assert.ok(swarm.distributionSeconds < small.wholeFileSeconds, `${swarm.distributionSeconds}`)
})

test('flooding: reach grows with TTL; one hop reaches exactly the neighbours, no duplicate', () => {
  assert.equal(treeFormula(7, 10), 84_652_645)
  assert.equal(treeFormula(8, 2), 64)
  let previous = 0
  for (const ttl of [1, 2, 3]) {
    const point = floodPoint(200, 4, ttl, 3, 5)
    assert.ok(point.reach >= previous, `TTL ${ttl}: ${point.reach} < ${previous}`)
    assert.ok(point.reach <= 199)
    if (ttl === 1) {
      assert.equal(point.duplicates, 0)
      assert.equal(point.queryMessages, point.reach)
    }
    assert.ok(point.queryMessages >= point.reach)
    previous = point.reach
  }
})

test("overlays: the lecture's Chord ring, 8 x 8 CAN and hash ranges through the real code", () => {
  const chord = chordExample()
  assert.deepEqual(chord.fingersOf1, [3, 3, 5, 10])
  assert.deepEqual(chord.lookupHopsWithFingers, [10, 12])
  assert.equal(chord.lookupHopsBySuccessors.length, 6)
  assert.equal(chord.ownerOf13, 14)
  assert.equal(chord.ownerOf15, 1)
  const can = canExample()
  assert.deepEqual(
    can.itemOwners.map((o) => `${o.item}:${o.node}`),
    ['f1:n1', 'f2:n2', 'f3:n1', 'f4:n5'],
  )
  assert.equal(can.route[0], 'n1')
  assert.equal(can.route[can.route.length - 1], 'n5')
  assert.deepEqual(coveringRanges(8045), [
    [7000, 8500],
    [8000, 8999],
  ])
})

test('nat: direct only where the NAT pair allows it, every session accounted for', () => {
  const r = runNatScenario(
    {
      peers: 120,
      natRatio: 0.6,
      sessions: 40,
      relays: 4,
      spreadSeconds: 10,
      signalDelayMs: 50,
      lossRatio: 0,
    },
    4,
  )
  assert.equal(r.direct + r.relayed + r.failed, r.sessions)
  for (const pair of r.byPair) if (!pair.directAllowed) assert.equal(pair.direct, 0, pair.pair)
})

test('mapreduce: more workers are faster; no backup tasks is slower', () => {
  const base = { ...jobParams(true), workers: 50, maps: 150, reduces: 25 }
  const small = simulateJob(base, 2)
  const large = simulateJob({ ...base, workers: 100 }, 2)
  const noBackup = simulateJob({ ...base, workers: 100, backupTasks: false }, 2)
  assert.ok(large.seconds < small.seconds)
  assert.ok(noBackup.seconds > large.seconds)
})

test('search: on one small workload, ultrapeer leaves see fewer queries than flat servents', () => {
  const r = runGnutella(
    {
      nodes: 120,
      queries: 6,
      ttl: 3,
      degree: 6,
      items: 10,
      replication: 0.05,
      mode: 'both',
    } as Params,
    6,
  )
  const flat = r.modes.find((m) => m.mode === 'flat')
  const up = r.modes.find((m) => m.mode === 'ultrapeer')
  assert.ok(flat !== undefined && up !== undefined)
  assert.ok(up.queriesSeenPerLeafPerQuery < flat.queriesSeenPerLeafPerQuery)
  assert.equal(flat.invariantViolations + up.invariantViolations, 0)
})

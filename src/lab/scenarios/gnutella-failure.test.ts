import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom } from '../../core/random.js'
import type { Role } from '../../protocols/gnutella/index.js'
import type { Params } from '../scenario.js'
import { failurePlan } from './gnutella-failure.js'
import { runGnutella } from './gnutella.js'

test('failure plan: the share of ultrapeers, the query thirds, a host cache of ultrapeers per leaf', () => {
  const roles: Role[] = [...Array<Role>(10).fill('ultrapeer'), ...Array<Role>(90).fill('leaf')]
  const plan = failurePlan(
    { share: 0.3, recoverySeconds: 60, hostCache: 4 },
    roles,
    { count: 9, firstAtMs: 5000, gapMs: 500 },
    new SeededRandom(1),
  )
  assert.ok(plan !== undefined)
  assert.equal(plan.killed.size, 3)
  assert.ok([...plan.killed].every((i) => roles[i] === 'ultrapeer'))
  assert.deepEqual(
    [0, 2, 3, 5, 6, 8].map((q) => plan.phaseOf(q)),
    ['before', 'before', 'after', 'after', 'recovered', 'recovered'],
  )
  // The failure falls between queries 2 and 3; the last third waits the recovery pause.
  assert.equal(plan.killAtMs, 5000 + 3 * 500 - 250)
  assert.equal(plan.queryAtMs(5), 5000 + 5 * 500)
  assert.equal(plan.queryAtMs(6), 5000 + 6 * 500 + 60_000)
  assert.deepEqual(plan.hostCaches[0], [])
  const cache = plan.hostCaches[50] as readonly number[]
  assert.equal(cache.length, 4)
  assert.equal(new Set(cache).size, 4)
  assert.ok(cache.every((i) => roles[i] === 'ultrapeer'))
  assert.equal(
    failurePlan(undefined, roles, { count: 9, firstAtMs: 0, gapMs: 1 }, new SeededRandom(1)),
    undefined,
  )
})

const killRun = {
  nodes: 150,
  queries: 9,
  items: 6,
  replication: 0.05,
  mode: 'ultrapeer',
  ultrapeerFraction: 0.1,
  killUltrapeers: 0.34,
  recoverySeconds: 120,
  hostCache: 6,
} as Params

test('ultrapeers killed mid-run: the leaves notice, re-home, and search as well as before', () => {
  const r = runGnutella(killRun, 4)
  assert.equal(JSON.stringify(runGnutella(killRun, 4)), JSON.stringify(r), 'same seed, same run')
  const up = r.modes[0]
  assert.ok(up?.failure !== undefined)
  const { phases, rehoming } = up.failure
  assert.equal(rehoming.ultrapeersKilled, 5)
  assert.ok(rehoming.leavesHit > 0)
  // Every broken link was replaced, and by the end no live leaf lacks a live ultrapeer.
  assert.ok(rehoming.rehomeConnections >= rehoming.linksLost)
  assert.equal(rehoming.orphansAtEnd, 0)
  assert.equal(rehoming.shortAtEnd, 0)
  assert.equal(rehoming.stillLinkedToDeadAtEnd, 0)
  const [before, , recovered] = phases
  assert.equal(before?.hitRate, 1)
  // Nobody is dead before the failure; by the last third every leaf has noticed.
  assert.equal(before?.handedToDeadUltrapeer, 0)
  assert.equal(recovered?.handedToDeadUltrapeer, 0)
  assert.equal(recovered?.hitRate, 1)
  assert.equal(phases.reduce((s, ph) => s + ph.queries, 0) + rehoming.queriesFromDeadSkipped, 9)
  assert.equal(up.invariantViolations, 0)
})

test('without a kill share nothing fails and no failure is reported', () => {
  const r = runGnutella(
    { nodes: 80, queries: 3, items: 4, replication: 0.05, mode: 'both' } as Params,
    4,
  )
  assert.ok(r.modes.every((m) => m.failure === undefined))
})

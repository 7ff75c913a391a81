import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom } from '../../core/random.js'
import type { Params } from '../scenario.js'
import { runDirectory } from './directory-run.js'
import { runDirectoryScenario } from './directory.js'
import { workload } from './gnutella-run.js'

const small = { nodes: 60, items: 6, replication: 0.05, queries: 12, queryGapMs: 500 }

test('directory: while the server lives every query finds a holder, and the server sees every query', () => {
  const r = runDirectoryScenario({ ...small, failAt: 1 } as Params, 3)
  assert.equal(r.queries, 12)
  assert.equal(r.dead, undefined)
  assert.equal(r.alive.success, 1)
  assert.deepEqual(r.alive.failures, {})
  // One search and one announce per query, each a request and an answer.
  assert.equal(r.alive.messagesPerQuery, 4)
  assert.equal(r.server.searchesPerQuery, 1)
  assert.equal(r.server.requestsPerQuery, 2)
  // Every holder listed its item (the first created it) and announced itself as a seed.
  assert.equal(r.publish.publishedAndAnnounced, r.publish.holders)
  assert.equal(r.publish.serverRequests, 2 * r.publish.holders)
  assert.equal(r.indexed, small.items)
  // Two exchanges of two one-way trips each way (connect, then request): 8 x 20 ms.
  assert.equal(r.alive.latencyMs?.p50, 160)
})

test('directory: after the server crashes every query fails, and none reaches it', () => {
  const r = runDirectoryScenario({ ...small, failAt: 0.5 } as Params, 3)
  assert.equal(r.alive.queries, 6)
  assert.equal(r.alive.success, 1)
  assert.ok(r.dead !== undefined)
  assert.equal(r.dead.queries, 6)
  assert.equal(r.dead.success, 0)
  assert.equal(r.dead.messagesPerQuery, 0)
  assert.equal(r.dead.latencyMs, undefined)
  assert.equal(r.server.searchesPerQuery, 1)
})

test('directory: the same seed gives the same report; the queries are the Gnutella workload', () => {
  const params = { ...small, failAt: 0.5 } as Params
  assert.equal(
    JSON.stringify(runDirectoryScenario(params, 9)),
    JSON.stringify(runDirectoryScenario(params, 9)),
  )
  const p = { ...small, failAt: 1 }
  const run = runDirectory(p, 9)
  const { asks, holders } = workload(p, new SeededRandom(9).fork('workload'))
  assert.deepEqual(
    run.queries.map((q) => [q.origin, q.item]),
    asks,
  )
  assert.equal(run.holdersPerItem, holders[0]?.length)
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ConnectionId } from '../../core/core.js'
import { instant, type Instant } from '../../core/time.js'
import { DynamicQuery, hostsReached, lastHopShare, type DynamicQueryStep } from './dynamic-query.js'

const options = {
  resultsWanted: 20,
  probeTtl: 1,
  probeConnections: 3,
  ttlMax: 7,
  degree: 6,
  waitPerHopMs: 100,
}
const connections = [1, 2, 3, 4, 5, 6, 7] as unknown as ConnectionId[]

/** Runs the query to the end, feeding `resultsPerStep(ttl)` results after each send. */
function drive(dq: DynamicQuery, resultsPerStep: (ttl: number) => number): number[] {
  const ttls: number[] = []
  let now: Instant = instant(0)
  for (let i = 0; i < 100; i++) {
    const step: DynamicQueryStep = dq.next(now)
    if (step.kind === 'done') return ttls
    if (step.kind === 'wait') {
      now = step.until
      continue
    }
    ttls.push(step.ttl)
    dq.addResults(resultsPerStep(step.ttl))
  }
  throw new Error('dynamic query never finished')
}

test('the tree formula: hosts reached and the last-hop share (UP-QRP v0.1)', () => {
  assert.equal(hostsReached(6, 1), 1)
  assert.equal(hostsReached(6, 3), 1 + 5 + 25)
  assert.equal(lastHopShare(6, 3), 25 / 31)
  assert.equal(lastHopShare(32, 3), 961 / (1 + 31 + 961))
})

test('with no results a dynamic query widens one TTL at a time, the last connection to the horizon', () => {
  // Before the fix, the first step after an empty probe jumped straight to TTL 7.
  const ttls = drive(new DynamicQuery(options, connections, instant(0)), () => 0)
  assert.deepEqual(ttls, [1, 2, 3, 4, 7])
})

test('a dynamic query stops once the target is reached', () => {
  const ttls = drive(new DynamicQuery(options, connections, instant(0)), (ttl) =>
    ttl === 1 ? 0 : 25,
  )
  assert.deepEqual(ttls, [1, 2])
})

test('results from the probe size the next TTL to the results still missing', () => {
  // 3 probe hosts gave 3 results: 1 result per host; 17 missing over 4 connections ~ 5 hosts
  // each, which TTL 2 (1 + 5 = 6 hosts) covers.
  const dq = new DynamicQuery(options, connections, instant(0))
  const ttls = drive(dq, (ttl) => (ttl === 1 ? 3 : 6))
  assert.deepEqual(ttls, [1, 2, 2, 2])
  assert.ok(dq.resultCount >= 20)
})

test('a small ultrapeer keeps a connection out of the probe; a lone connection goes to the horizon', () => {
  // Before the fix the probe took every connection at TTL 1 and nothing could widen after it.
  const three = [1, 2, 3] as unknown as ConnectionId[]
  assert.deepEqual(
    drive(new DynamicQuery(options, three, instant(0)), () => 0),
    [1, 7],
  )
  const one = [1] as unknown as ConnectionId[]
  assert.deepEqual(
    drive(new DynamicQuery(options, one, instant(0)), () => 0),
    [7],
  )
})

test('leaf guidance: the leaf\'s kept count replaces the routed one; "stop" ends the query', () => {
  const dq = new DynamicQuery(options, connections, instant(0))
  assert.equal(dq.next(instant(0)).kind, 'send') // the probe
  dq.addResults(2)
  dq.askedLeaf()
  dq.addResults(1) // routed after the request: the leaf could not have counted it
  dq.leafReported(25) // the leaf has 25 from all its ultrapeers
  assert.equal(dq.resultCount, 26)
  assert.equal(dq.next(instant(10_000)).kind, 'done')

  // The leaf filtered most of what we routed: we widen on its smaller count.
  const filtered = new DynamicQuery(options, connections, instant(0))
  filtered.next(instant(0))
  filtered.addResults(30)
  filtered.askedLeaf()
  filtered.leafReported(4)
  assert.equal(filtered.resultCount, 4)
  assert.equal(filtered.next(instant(10_000)).kind, 'send')

  const stopped = new DynamicQuery(options, connections, instant(0))
  stopped.next(instant(0))
  stopped.leafReported('stop')
  assert.equal(stopped.next(instant(10_000)).kind, 'done')
})

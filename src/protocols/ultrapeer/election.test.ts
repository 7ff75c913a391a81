import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_ELECTION, elect, incapability, type ElectionInputs } from './election.js'

const capableLeaf: ElectionInputs = {
  role: 'leaf',
  uptimeMs: 2 * 60 * 60_000,
  uploadBytesPerSecond: 50_000,
  downloadBytesPerSecond: 100_000,
  reachable: true,
  ultrapeersKnown: 3,
  ultrapeerNeeded: true,
}

test('a reachable, long-up, fast leaf is promoted when an ultrapeer says one is needed', () => {
  assert.deepEqual(elect(capableLeaf), {
    role: 'ultrapeer',
    capable: true,
    reason: 'ultrapeer_needed',
  })
  assert.deepEqual(elect({ ...capableLeaf, ultrapeerNeeded: false }), {
    role: 'leaf',
    capable: true,
    reason: 'not_needed',
  })
  assert.equal(
    elect({ ...capableLeaf, ultrapeersKnown: 0, ultrapeerNeeded: false }).role,
    'ultrapeer',
  )
})

test('each measurement alone keeps a servent a leaf: firewalled, young, slow up, slow down', () => {
  assert.equal(incapability({ ...capableLeaf, reachable: false }), 'unreachable')
  assert.equal(
    incapability({ ...capableLeaf, uptimeMs: DEFAULT_ELECTION.uptimeMinMs - 1 }),
    'young',
  )
  assert.equal(incapability({ ...capableLeaf, uptimeMs: DEFAULT_ELECTION.uptimeMinMs }), undefined)
  assert.equal(incapability({ ...capableLeaf, uploadBytesPerSecond: 9_999 }), 'slow')
  assert.equal(incapability({ ...capableLeaf, downloadBytesPerSecond: 19_999 }), 'slow')
  for (const flaw of [{ reachable: false }, { uptimeMs: 0 }, { uploadBytesPerSecond: 0 }]) {
    const e = elect({ ...capableLeaf, ...flaw })
    assert.equal(e.role, 'leaf')
    assert.equal(e.capable, false)
  }
})

test('an ultrapeer stays one; the only one known stays a hub even unmeasured; a weak ultrapeer with others around steps down', () => {
  assert.deepEqual(elect({ ...capableLeaf, role: 'ultrapeer', ultrapeerNeeded: false }), {
    role: 'ultrapeer',
    capable: true,
    reason: 'keeps_role',
  })
  const lonely = {
    ...capableLeaf,
    role: 'ultrapeer' as const,
    ultrapeersKnown: 0,
    reachable: false,
  }
  assert.deepEqual(elect(lonely), {
    role: 'ultrapeer',
    capable: false,
    reason: 'no_ultrapeer_known',
  })
  assert.deepEqual(elect({ ...lonely, ultrapeersKnown: 2 }), {
    role: 'leaf',
    capable: false,
    reason: 'unreachable',
  })
})

test('thresholds are parameters', () => {
  const lenient = { uptimeMinMs: 0, uploadBytesPerSecondMin: 0, downloadBytesPerSecondMin: 0 }
  const fresh = { ...capableLeaf, uptimeMs: 0, uploadBytesPerSecond: 0, downloadBytesPerSecond: 0 }
  assert.equal(elect(fresh, lenient).role, 'ultrapeer')
  assert.equal(elect(fresh).role, 'leaf')
})

test('after a demotion the election holds a capable leaf a leaf, then lets it be promoted', () => {
  const hold = 60 * 60_000
  assert.deepEqual(elect({ ...capableLeaf, demotedAgoMs: hold - 1 }), {
    role: 'leaf',
    capable: true,
    reason: 'recently_demoted',
  })
  assert.equal(elect({ ...capableLeaf, demotedAgoMs: hold }).role, 'ultrapeer')
  // A network with no ultrapeer left still gets one at once.
  assert.equal(elect({ ...capableLeaf, demotedAgoMs: 0, ultrapeersKnown: 0 }).role, 'ultrapeer')
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ms } from '../../core/time.js'
import { RttEstimator } from './rtt-estimator.js'

const bounds = { rtoMin: ms(200), rtoMax: ms(60_000), rtoInitial: ms(1_000) }

test('before any sample the timeout is the initial one', () => {
  assert.equal(new RttEstimator(bounds).rto(), 1_000)
})

test('first sample sets SRTT and RTTVAR = RTT/2 (RFC 6298 2.2)', () => {
  const e = new RttEstimator(bounds)
  e.sample(100)
  assert.equal(e.smoothedMs, 100)
  assert.equal(e.rto(), 300) // 100 + 4 * 50
})

test('later samples smooth with alpha 1/8 and beta 1/4 (RFC 6298 2.3)', () => {
  const e = new RttEstimator(bounds)
  e.sample(100)
  e.sample(200)
  assert.equal(e.smoothedMs, 112.5) // 7/8 * 100 + 1/8 * 200
  assert.equal(e.rto(), 112.5 + 4 * 62.5) // RTTVAR = 3/4 * 50 + 1/4 * 100
})

test('the timeout is clamped to its bounds', () => {
  const fast = new RttEstimator(bounds)
  fast.sample(1)
  assert.equal(fast.rto(), 200)
  const slow = new RttEstimator(bounds)
  slow.sample(50_000)
  assert.equal(slow.rto(), 60_000)
})

test('a negative sample is a programmer error', () => {
  assert.throws(() => new RttEstimator(bounds).sample(-1), RangeError)
})

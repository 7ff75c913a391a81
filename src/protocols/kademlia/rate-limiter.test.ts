import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Instant } from '../../core/time.js'
import { RateLimiter } from './rate-limiter.js'

const at = (ms: number): Instant => ms as Instant

test('housekeeping forgets every source whose bucket refilled, not just two', () => {
  const limiter = new RateLimiter(20, 50, 4096)
  for (let i = 0; i < 10; i++) assert.ok(limiter.allow(at(0), `11.0.${i}.1`))
  assert.ok(limiter.allow(at(2000), '11.0.99.1'))
  assert.equal(limiter.tracked, 11)
  // 2.5 s refills a bucket of 50 at 20/s: the ten sources of t = 0 are idle at 3 s, not the last.
  limiter.forgetIdle(at(3000), Infinity)
  assert.equal(limiter.tracked, 1)
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { instant, ms } from '../../../core/time.js'
import {
  blocksPerFetch,
  DEFAULT_WEB_SEED_CONFIG,
  WebSeedState,
  webSeedsWanted,
} from './seed-state.js'

const config = {
  ...DEFAULT_WEB_SEED_CONFIG,
  fetchesMax: 2,
  backoff: ms(1000),
  backoffMax: ms(5000),
}

test('fetches are bounded per seed', () => {
  const seed = new WebSeedState('http://h/', config)
  const now = instant(0)
  seed.started(now)
  seed.started(now)
  assert.equal(seed.canStart(now), false)
  seed.succeeded()
  assert.equal(seed.canStart(now), true)
})

test('transient failures back off, doubling up to the cap, and success resets it', () => {
  const seed = new WebSeedState('http://h/', config)
  const waits: number[] = []
  let now = instant(0)
  for (let i = 0; i < 5; i++) {
    seed.started(now)
    seed.failedTransient(now, 'HTTP 503')
    assert.equal(seed.phase(now), 'backing_off')
    const at = seed.nextTryAt as number
    waits.push(at - now)
    assert.equal(seed.phase(instant(at - 1)), 'backing_off')
    now = instant(at)
    assert.equal(seed.phase(now), 'ready')
  }
  assert.deepEqual(waits, [1000, 2000, 4000, 5000, 5000])
  seed.started(now)
  seed.succeeded()
  seed.started(now)
  seed.failedTransient(now, 'HTTP 503')
  assert.equal((seed.nextTryAt as number) - now, 1000)
})

test('Retry-After replaces the back-off; a second failure never shortens a wait', () => {
  const seed = new WebSeedState('http://h/', config)
  const now = instant(0)
  seed.started(now)
  seed.started(now)
  seed.failedTransient(now, 'HTTP 503', ms(30_000))
  seed.failedTransient(now, 'HTTP 500')
  assert.equal(seed.nextTryAt, 30_000)
})

test('permanent failures and bans are final', () => {
  const seed = new WebSeedState('http://h/', config)
  const now = instant(0)
  seed.started(now)
  seed.failedPermanently('HTTP 404')
  assert.equal(seed.phase(instant(10 ** 9)), 'failed')
  assert.equal(seed.canStart(instant(10 ** 9)), false)
  const bad = new WebSeedState('http://h/', config)
  bad.ban('bad piece')
  assert.equal(bad.phase(now), 'banned')
  assert.equal(bad.lastError, 'bad piece')
})

test('web seeds idle while peers alone are fast enough, when a threshold is set', () => {
  assert.equal(webSeedsWanted(10 ** 9, config), true)
  const idle = { ...config, idleWhenPeersFasterThan: 1000 }
  assert.equal(webSeedsWanted(999, idle), true)
  assert.equal(webSeedsWanted(1000, idle), false)
})

test('a fetch asks for what the seed brings in a few seconds: at least a piece, at most the cap', () => {
  const sized = { ...config, fetchSeconds: 2, fetchBytes: 1 << 20 }
  const block = 16 * 1024
  assert.equal(blocksPerFetch(0, 64 * 1024, block, sized), 4)
  assert.equal(blocksPerFetch(0, 8 * 1024, block, sized), 1)
  assert.equal(blocksPerFetch(100 * 1024, 64 * 1024, block, sized), 13)
  assert.equal(blocksPerFetch(10 ** 9, 64 * 1024, block, sized), 64)
})

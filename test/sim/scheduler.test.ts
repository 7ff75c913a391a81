import assert from 'node:assert/strict'
import { test } from 'node:test'
import { instant, ms, type Instant } from '../../src/core/time.js'
import { Scheduler } from '../../src/sim/scheduler.js'

test('events run by time, then in the order they were scheduled', () => {
  const scheduler = new Scheduler()
  const order: string[] = []
  scheduler.setTimer(instant(20), () => order.push('b@20'))
  scheduler.setTimer(instant(10), () => order.push('a@10'))
  scheduler.setTimer(instant(20), () => order.push('c@20'))
  scheduler.setTimer(instant(10), () => {
    order.push('d@10')
    // Scheduled during the run at the current instant: after those already queued for it.
    scheduler.setTimer(instant(10), () => order.push('f@10'))
    scheduler.defer(() => order.push('g@10'))
  })
  scheduler.setTimer(instant(10), () => order.push('e@10'))
  const result = scheduler.runUntilIdle()
  assert.deepEqual(order, ['a@10', 'd@10', 'e@10', 'f@10', 'g@10', 'b@20', 'c@20'])
  assert.deepEqual(result, { reason: 'idle', steps: 7, now: 20 })
})

test('the clock reads the time of the running event; a past time runs now', () => {
  const scheduler = new Scheduler()
  const seen: Instant[] = []
  scheduler.setTimer(instant(5), () => {
    seen.push(scheduler.now())
    scheduler.setTimer(instant(1), () => seen.push(scheduler.now()))
  })
  scheduler.runUntilIdle()
  assert.deepEqual(seen, [5, 5])
})

test('clearTimer cancels; clearing twice or after firing is harmless', () => {
  const scheduler = new Scheduler()
  const fired: number[] = []
  const a = scheduler.setTimer(instant(1), () => fired.push(1))
  const b = scheduler.setTimer(instant(2), () => fired.push(2))
  scheduler.setTimer(instant(3), () => fired.push(3))
  scheduler.clearTimer(b)
  scheduler.clearTimer(b)
  scheduler.runUntilIdle()
  scheduler.clearTimer(a)
  assert.deepEqual(fired, [1, 3])
  // A stale handle does not cancel the event that now reuses its slot.
  const again = scheduler.setTimer(instant(10), () => fired.push(10))
  scheduler.clearTimer(a)
  scheduler.runUntilIdle()
  assert.deepEqual(fired, [1, 3, 10])
  assert.notEqual(again, a)
})

test('run stops at until (advancing the clock) and at stepsMax', () => {
  const scheduler = new Scheduler()
  let count = 0
  const tick = (): void => {
    count++
    scheduler.setTimer(instant(scheduler.now() + 10), tick)
  }
  scheduler.setTimer(instant(0), tick)
  const first = scheduler.run({ until: instant(95) })
  assert.deepEqual(first, { reason: 'until', steps: 10, now: 95 })
  const second = scheduler.run({ stepsMax: 3 })
  assert.deepEqual(second, { reason: 'steps_max', steps: 3, now: 120 })
  assert.equal(count, 13)
  const third = scheduler.runFor(ms(50))
  assert.equal(third.now, 170)
  assert.equal(count, 18)
})

test('run with until on an idle queue moves the clock to until', () => {
  const scheduler = new Scheduler()
  assert.deepEqual(scheduler.run({ until: instant(1000) }), { reason: 'idle', steps: 0, now: 1000 })
})

test('events of an owner that died are skipped', () => {
  const scheduler = new Scheduler()
  const owner = { alive: true }
  const fired: string[] = []
  scheduler.setTimer(instant(1), () => fired.push('owned'), owner)
  scheduler.setTimer(instant(1), () => fired.push('free'))
  owner.alive = false
  scheduler.runUntilIdle()
  assert.deepEqual(fired, ['free'])
})

test('run is not re-entrant, and an exception leaves the scheduler usable', () => {
  const scheduler = new Scheduler()
  scheduler.setTimer(instant(1), () => {
    assert.throws(() => scheduler.run(), /inside an event/)
    throw new Error('boom')
  })
  scheduler.setTimer(instant(2), () => undefined)
  assert.throws(() => scheduler.runUntilIdle(), /boom/)
  assert.deepEqual(scheduler.runUntilIdle(), { reason: 'idle', steps: 1, now: 2 })
})

test('the event hook sees every event, in order', () => {
  const scheduler = new Scheduler()
  const seen: string[] = []
  scheduler.onEvent = (at, seq) => seen.push(`${at}:${seq}`)
  scheduler.setTimer(instant(7), () => undefined)
  const cancelled = scheduler.setTimer(instant(3), () => undefined)
  scheduler.setTimer(instant(3), () => undefined)
  scheduler.clearTimer(cancelled)
  scheduler.runUntilIdle()
  assert.deepEqual(seen, ['3:2', '7:0'])
})

test('a million timers run in order in well under a few seconds', () => {
  const scheduler = new Scheduler()
  let last = -1
  let ok = true
  const check = (): void => {
    const now = scheduler.now()
    if (now < last) ok = false
    last = now
  }
  for (let i = 0; i < 1_000_000; i++) scheduler.setTimer(instant((i * 7919) % 100_003), check)
  const result = scheduler.runUntilIdle()
  assert.equal(result.steps, 1_000_000)
  assert.ok(ok)
})

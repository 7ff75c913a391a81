import assert from 'node:assert/strict'
import { test } from 'node:test'
import { instant } from './time.js'
import { TimerTable } from './timers.js'

type Name = 'refresh' | 'rechoke' | 'ping'

test('an empty table has no next deadline and expires nothing', () => {
  const timers = new TimerTable<Name>()
  assert.equal(timers.next(), undefined)
  assert.deepEqual(timers.expire(instant(1_000_000)), [])
})

test('set, get, isSet and stop', () => {
  const timers = new TimerTable<Name>()
  timers.set('ping', instant(100))
  assert.equal(timers.get('ping'), 100)
  assert.ok(timers.isSet('ping'))
  assert.ok(!timers.isSet('refresh'))
  assert.equal(timers.get('refresh'), undefined)
  timers.stop('ping')
  assert.ok(!timers.isSet('ping'))
  assert.equal(timers.next(), undefined)
  timers.stop('ping') // stopping an unset timer is harmless
})

test('setting a timer again replaces its deadline', () => {
  const timers = new TimerTable<Name>()
  timers.set('ping', instant(100))
  timers.set('ping', instant(300))
  assert.equal(timers.next(), 300)
  assert.deepEqual(timers.expire(instant(200)), [])
  assert.deepEqual(timers.expire(instant(300)), ['ping'])
})

test('next is the earliest deadline', () => {
  const timers = new TimerTable<Name>()
  timers.set('refresh', instant(500))
  timers.set('rechoke', instant(200))
  timers.set('ping', instant(900))
  assert.equal(timers.next(), 200)
  timers.stop('rechoke')
  assert.equal(timers.next(), 500)
})

test('expire returns due timers earliest first and removes them', () => {
  const timers = new TimerTable<Name>()
  timers.set('refresh', instant(500))
  timers.set('rechoke', instant(200))
  timers.set('ping', instant(900))
  assert.deepEqual(timers.expire(instant(199)), [])
  // A deadline equal to now is due.
  assert.deepEqual(timers.expire(instant(500)), ['rechoke', 'refresh'])
  assert.ok(!timers.isSet('rechoke') && !timers.isSet('refresh'))
  assert.equal(timers.next(), 900)
  assert.deepEqual(timers.expire(instant(500)), [])
  assert.deepEqual(timers.expire(instant(10_000)), ['ping'])
  assert.equal(timers.next(), undefined)
})

test('timers due at the same instant expire in the order they were set', () => {
  const timers = new TimerTable<Name>()
  timers.set('ping', instant(100))
  timers.set('refresh', instant(100))
  timers.set('rechoke', instant(100))
  assert.deepEqual(timers.expire(instant(100)), ['ping', 'refresh', 'rechoke'])
})

test('a timer set again from its own expiry is kept for the next round', () => {
  const timers = new TimerTable<Name>()
  timers.set('rechoke', instant(10_000))
  for (const name of timers.expire(instant(10_000))) timers.set(name, instant(20_000))
  assert.equal(timers.next(), 20_000)
  assert.deepEqual(timers.expire(instant(19_999)), [])
})

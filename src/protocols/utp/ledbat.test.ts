import assert from 'node:assert/strict'
import { test } from 'node:test'
import { instant } from '../../core/time.js'
import { GAIN_BYTES_PER_RTT, Ledbat, TARGET_DELAY_MICROS } from './ledbat.js'
import { RTO_MIN_MS, RttEstimator } from './rtt.js'

const limits = { packetBytes: 1400, windowBytesMax: 1 << 20 }

test('below target the window grows; past target it shrinks; the base is the least sample', () => {
  const ledbat = new Ledbat(limits)
  ledbat.slowStart = false
  const base = 0xfffff000 // near the wrap: differences must be taken modulo 2^32
  ledbat.delaySample(instant(0), base)
  const start = ledbat.window
  ledbat.acked(ledbat.window)
  assert.equal(ledbat.window, start + GAIN_BYTES_PER_RTT)
  for (let i = 0; i < 3; i++)
    ledbat.delaySample(instant(10), (base + 2 * TARGET_DELAY_MICROS) >>> 0)
  assert.equal(ledbat.queueingDelay(), 2 * TARGET_DELAY_MICROS)
  const high = ledbat.window
  ledbat.acked(ledbat.window)
  assert.equal(ledbat.window, high - GAIN_BYTES_PER_RTT)
})

test('slow start doubles per window until the delay passes half the target', () => {
  const ledbat = new Ledbat(limits)
  ledbat.delaySample(instant(0), 1000)
  ledbat.acked(ledbat.window)
  assert.equal(ledbat.window, 4 * 1400)
  for (let i = 0; i < 3; i++) ledbat.delaySample(instant(5), 1000 + TARGET_DELAY_MICROS)
  ledbat.acked(1400)
  assert.equal(ledbat.slowStart, false)
})

test('the base delay forgets a minimum older than its history', () => {
  const ledbat = new Ledbat(limits)
  ledbat.delaySample(instant(0), 1000)
  for (let minute = 1; minute <= 10; minute++) ledbat.delaySample(instant(minute * 60_000), 5000)
  assert.equal(ledbat.baseDelay, 5000)
})

test('a loss halves the window once per round trip; a timeout drops it to one packet', () => {
  const ledbat = new Ledbat(limits)
  ledbat.window = 100_000
  ledbat.lost(instant(0), 50)
  ledbat.lost(instant(10), 50)
  assert.equal(ledbat.window, 50_000)
  ledbat.lost(instant(60), 50)
  assert.equal(ledbat.window, 25_000)
  ledbat.timedOut()
  assert.equal(ledbat.window, 1400)
})

test('RTO is SRTT + 4 RTTVAR, floored at 500 ms, doubled per timeout', () => {
  const rtt = new RttEstimator()
  rtt.sample(100)
  assert.equal(rtt.rto, 300 < RTO_MIN_MS ? RTO_MIN_MS : 300)
  for (let i = 0; i < 50; i++) rtt.sample(1000)
  assert.ok(rtt.rto > 1000 && rtt.rto < 1300, String(rtt.rto))
  const base = rtt.rto
  rtt.backOff()
  assert.equal(rtt.rto, 2 * base)
  rtt.progress()
  assert.equal(rtt.rto, base)
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { instant, seconds } from '../../../core/time.js'
import { RateMeter } from './rate.js'

const close = (actual: number, expected: number): void =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} != ${expected}`)

test('a steady 1000 B/s reads as 1000 B/s', () => {
  const meter = new RateMeter(instant(0))
  for (let t = 0; t < 60_000; t += 100) meter.add(instant(t), 100)
  assert.ok(Math.abs(meter.rate(instant(60_000)) - 1000) < 60, `${meter.rate(instant(60_000))}`)
  assert.equal(meter.total, 60_000)
})

test('a young meter is not diluted by time before it existed', () => {
  const meter = new RateMeter(instant(5_000))
  meter.add(instant(5_000), 20_000)
  assert.equal(meter.rate(instant(15_000)), 2_000)
  // Within the first bucket the span is one bucket, not a millisecond.
  const fresh = new RateMeter(instant(0))
  fresh.add(instant(1), 500)
  assert.equal(fresh.rate(instant(1)), 500)
})

test('bytes leave the window after 20 s', () => {
  const meter = new RateMeter(instant(0))
  meter.add(instant(500), 40_000)
  close(meter.rate(instant(19_999)), 40_000 / 19.999)
  // At 20 s the bucket of 0..1 s leaves the window: it holds the current bucket and 19 more.
  assert.equal(meter.rate(instant(20_000)), 0)
  assert.equal(meter.rate(instant(500_000)), 0)
})

test('a custom window: 5 s of 500 ms buckets', () => {
  const meter = new RateMeter(instant(0), { window: seconds(5), bucket: seconds(0.5) })
  meter.add(instant(0), 1000)
  meter.add(instant(4_900), 1000)
  close(meter.rate(instant(4_999)), 2000 / 4.999)
  // From 5 s the window starts at 0.5 s; the bucket holding 4.9 s stays until 5.5 s + 4.5 s.
  close(meter.rate(instant(5_600)), 1000 / 4.6)
  close(meter.rate(instant(9_499)), 1000 / 4.999)
  assert.equal(meter.rate(instant(9_500)), 0)
})

test('property: the rate equals the bytes of the covered buckets over the covered span', () => {
  const event = fc.tuple(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 0, max: 10_000 }))
  fc.assert(
    fc.property(
      fc.array(event, { maxLength: 40 }),
      fc.integer({ min: 0, max: 30_000 }),
      (events, after) => {
        const meter = new RateMeter(instant(0))
        let now = 0
        const log: [number, number][] = []
        for (const [gap, bytes] of events) {
          now += gap
          meter.add(instant(now), bytes)
          log.push([now, bytes])
        }
        const end = now + after
        const head = Math.floor(end / 1000)
        const oldest = (head - 19) * 1000
        const inside = log.filter(([t]) => t >= Math.max(0, oldest)).reduce((s, [, b]) => s + b, 0)
        const span = Math.max(1000, end - Math.max(0, oldest))
        const expected = inside === 0 ? 0 : (inside * 1000) / span
        assert.ok(Math.abs(meter.rate(instant(end)) - expected) < 1e-6)
      },
    ),
  )
})

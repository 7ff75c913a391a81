import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Histogram, MetricsRegistry } from './metrics.js'

/** Quantiles are reported within 1/64 of the true value (bucket midpoints). */
const assertNear = (actual: number | undefined, expected: number, label: string): void => {
  assert.ok(
    actual !== undefined && Math.abs(actual - expected) <= expected / 64,
    `${label}: ${actual}`,
  )
}

test('counters add deltas (default 1) and read 0 when never counted', () => {
  const metrics = new MetricsRegistry()
  metrics.count('a')
  metrics.count('a', 4)
  metrics.count('b', -2)
  assert.deepEqual([metrics.counter('a'), metrics.counter('b'), metrics.counter('c')], [5, -2, 0])
})

test('histogram summary: exact count, mean, min, max; quantiles within precision', () => {
  const metrics = new MetricsRegistry()
  for (let value = 1000; value >= 1; value--) metrics.observe('latency', value)
  const summary = metrics.histogram('latency')
  assert.ok(summary !== undefined)
  assert.deepEqual([summary.count, summary.mean, summary.min, summary.max], [1000, 500.5, 1, 1000])
  assertNear(summary.p50, 500, 'p50')
  assertNear(summary.p90, 900, 'p90')
  assertNear(summary.p99, 990, 'p99')
})

test('quantiles stay within the observed range, for one value and for tiny fractions', () => {
  const single = new Histogram()
  single.record(42)
  assert.deepEqual(single.summary(), {
    count: 1,
    sum: 42,
    mean: 42,
    min: 42,
    p50: 42,
    p90: 42,
    p99: 42,
    max: 42,
  })
  const tiny = new Histogram()
  for (let i = 1; i <= 100; i++) tiny.record(i / 1e6)
  assertNear(tiny.summary()?.p50, 50e-6, 'tiny p50')
})

test('negative values and zero are ordered with the rest; NaN is ignored', () => {
  const histogram = new Histogram()
  for (const value of [-100, -10, 0, 0, 0, 10, 100, Number.NaN]) histogram.record(value)
  const summary = histogram.summary()
  assert.ok(summary !== undefined)
  assert.deepEqual([summary.count, summary.min, summary.p50, summary.max], [7, -100, 0, 100])
  assertNear(summary.p90, 100, 'p90')
})

test('snapshot lists names sorted and omits nothing observed', () => {
  const metrics = new MetricsRegistry()
  metrics.count('z')
  metrics.count('a')
  metrics.observe('m', 1)
  const snapshot = metrics.snapshot()
  assert.deepEqual(Object.keys(snapshot.counters), ['a', 'z'])
  assert.deepEqual(Object.keys(snapshot.histograms), ['m'])
  assert.equal(metrics.histogram('none'), undefined)
})

test('names beyond namesMax are dropped and counted', () => {
  const metrics = new MetricsRegistry({ namesMax: 2 })
  metrics.count('a')
  metrics.observe('b', 1)
  metrics.count('c')
  metrics.observe('d', 1)
  metrics.count('a')
  assert.deepEqual(metrics.snapshot().counters, { a: 2, 'metrics.dropped_names': 2 })
})

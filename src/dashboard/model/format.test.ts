import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  formatAgo,
  formatBytes,
  formatDuration,
  formatPercent,
  formatRate,
  formatRatio,
} from './format.js'

test('bytes in binary units with at most three significant digits', () => {
  assert.equal(formatBytes(0), '0 B')
  assert.equal(formatBytes(1023), '1023 B')
  assert.equal(formatBytes(1024), '1.00 KiB')
  assert.equal(formatBytes(1536), '1.50 KiB')
  assert.equal(formatBytes(10 * 1024 * 1024 + 512 * 1024), '10.5 MiB')
  assert.equal(formatBytes(700 * 1024 ** 3), '700 GiB')
  // Just under the next unit: never "1024 KiB".
  assert.equal(formatBytes(1024 * 1024 - 1), '1.00 MiB')
  assert.equal(formatBytes(-1), '—')
  assert.equal(formatBytes(Number.NaN), '—')
})

test('rates are bytes per second in the same units', () => {
  assert.equal(formatRate(0), '0 B/s')
  assert.equal(formatRate(2.5 * 1024 * 1024), '2.50 MiB/s')
})

test('percentages never round a missing piece up to 100 %', () => {
  assert.equal(formatPercent(0), '0 %')
  assert.equal(formatPercent(1), '100 %')
  assert.equal(formatPercent(0.4567), '45.6 %')
  assert.equal(formatPercent(0.99999), '99.9 %')
  assert.equal(formatPercent(1.5), '100 %')
  assert.equal(formatPercent(Number.NaN), '—')
})

test('durations in words, the two largest units', () => {
  assert.equal(formatDuration(0), '0 s')
  assert.equal(formatDuration(45.4), '45 s')
  assert.equal(formatDuration(200), '3 min 20 s')
  assert.equal(formatDuration(3600), '1 h')
  assert.equal(formatDuration(2 * 3600 + 5 * 60 + 9), '2 h 5 min')
  assert.equal(formatDuration(3 * 86_400 + 4 * 3600 + 59), '3 d 4 h')
  assert.equal(formatDuration(Infinity), '∞')
  assert.equal(formatDuration(-5), '∞')
})

test('times ago and ratios', () => {
  assert.equal(formatAgo(10_000, 12_000), 'just now')
  assert.equal(formatAgo(0, 300_000), '5 min ago')
  assert.equal(formatRatio(Number.NaN), '—')
  assert.equal(formatRatio(Infinity), '∞')
  assert.equal(formatRatio(1.2345), '1.23')
})

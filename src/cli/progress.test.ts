import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { progressBar, progressLine, type ProgressView } from './progress.js'

const view = (over: Partial<ProgressView> = {}): ProgressView => ({
  percent: 42.5,
  downloadRate: 5 * 1024 * 1024,
  uploadRate: 1024,
  peers: 4,
  etaSeconds: 70,
  downloadedBytes: 27 * 1024 * 1024,
  uploadedBytes: 0,
  piecesVerified: 27,
  pieceCount: 64,
  verifiedBytes: 27 * 1024 * 1024,
  length: 64 * 1024 * 1024,
  ...over,
})

test('the progress line shows percent, a bar, done/total bytes, rates, peers and eta', () => {
  const line = progressLine(view(), 120)
  assert.match(
    line,
    /^ 42\.5% \[#+\.+\] 27\.0 MiB\/64\.0 MiB {2}down 5\.0 MiB\/s {2}up 1\.0 KiB\/s/,
  )
  assert.match(line, /peers 4 {2}eta 01:10$/)
})

test('the progress line never wraps: shorter than the width, whatever the numbers', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 10, max: 300 }),
      fc.double({ min: 0, max: 100, noNaN: true }),
      fc.nat({ max: 2 ** 40 }),
      fc.nat({ max: 100_000 }),
      (width, percent, rate, peers) => {
        const line = progressLine(view({ percent, downloadRate: rate, peers }), width)
        assert.ok(line.length <= width - 1, `${line.length} > ${width - 1}: ${line}`)
        assert.match(line, /%/)
      },
    ),
  )
})

test('in 80 columns the line keeps the bar and the byte counts', () => {
  const line = progressLine(view(), 80)
  assert.ok(line.length <= 79)
  assert.match(line, /\[#+\.+\] 27\.0 MiB\/64\.0 MiB/)
})

test('the bar is empty at 0 % and full at 100 %', () => {
  assert.equal(progressBar(0, 10), '[..........]')
  assert.equal(progressBar(100, 10), '[##########]')
  assert.equal(progressBar(55, 10), '[#####.....]')
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  compareCharts,
  compareTable,
  runCompare,
  sizesBetween,
} from '../../src/lab/scenarios/overlay-compare.js'

const SMALL = {
  minNodes: 32,
  maxNodes: 100,
  lookups: 40,
  failNodes: 64,
  failSteps: 2,
  churnMedianMinutes: 0,
}

test('sim compare: the four overlays on one workload, seeded, with the papers curves', () => {
  const report = runCompare(SMALL, 5)
  assert.deepEqual(report.sizes, [32, 100])
  for (const n of report.sizes) {
    const rows = report.bySize.filter((r) => r.nodes === n)
    assert.deepEqual(
      rows.map((r) => r.overlay),
      ['chord', 'pastry', 'can', 'kademlia'],
    )
    for (const row of rows) {
      // A stable overlay answers every lookup, in a positive number of hops near its curve.
      assert.equal(row.successRate, 1, `${row.overlay} at ${n}`)
      assert.ok(row.hops > 0 && row.hops < 3 * row.expected + 1, `${row.overlay}: ${row.hops} hops`)
      assert.ok(row.statePerNode > 0)
    }
    const log2 = Math.log2(n)
    assert.equal(rows[0]?.expected, Math.round((log2 / 2) * 1000) / 1000)
  }
  // The Chord paper's experiment: healing brings every lookup back.
  const chord = report.failure.filter((f) => f.overlay === 'chord')
  assert.deepEqual(
    chord.map((f) => f.fraction),
    [0.1, 0.2],
  )
  for (const f of chord) assert.equal(f.successAfterHealing, 1)
  // Table and plots: a row per overlay and size, a series per overlay and curve.
  const table = compareTable(report)
  assert.equal(table.filter((l) => /^\| (chord|pastry|can|kademlia) \| \d+ \|/.test(l)).length, 8)
  const charts = compareCharts(report)
  assert.deepEqual(Object.keys(charts), ['hops.svg', 'state.svg', 'failure.svg'])
  const hops = charts['hops.svg'] as string
  assert.ok(hops.startsWith('<svg') && hops.trimEnd().endsWith('</svg>'))
  assert.equal((hops.match(/<polyline/g) ?? []).length, 8)
  // The same seed gives the same report.
  assert.deepEqual(runCompare(SMALL, 5), report)
})

test('sim compare: sizes step through 100, 300, 1k ... within the bounds', () => {
  assert.deepEqual(sizesBetween(100, 10_000), [100, 300, 1000, 3000, 10_000])
  assert.deepEqual(sizesBetween(100, 100_000), [100, 300, 1000, 3000, 10_000, 30_000, 100_000])
  assert.deepEqual(sizesBetween(50, 500), [50, 100, 300, 500])
})

test('sim compare: from --central-from up, Pastry and CAN start from a central state, labelled', () => {
  const report = runCompare({ ...SMALL, failSteps: 0, centralFrom: 100 }, 5)
  assert.deepEqual(
    report.bySize.map((r) => `${r.overlay}@${r.nodes}:${r.builtBy}`),
    [
      'chord@32:oracle',
      'pastry@32:protocol',
      'can@32:protocol',
      'kademlia@32:protocol',
      'chord@100:oracle',
      'pastry@100:oracle',
      'can@100:oracle',
      'kademlia@100:protocol',
    ],
  )
  for (const row of report.bySize) assert.equal(row.successRate, 1, `${row.overlay}@${row.nodes}`)
  assert.ok(compareTable(report).some((l) => l.startsWith('| pastry | 100 | oracle |')))
})

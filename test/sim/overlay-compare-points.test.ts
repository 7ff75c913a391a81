import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import {
  compareReport,
  compareSettings,
  runCompare,
} from '../../src/lab/scenarios/overlay-compare.js'
import { runPointsInChildren } from '../../src/lab/scenarios/overlay-compare-jobs.js'
import {
  comparePoints,
  joinRows,
  pointInputs,
  pointKey,
  runOrder,
  runPoint,
} from '../../src/lab/scenarios/overlay-compare-points.js'

const SMALL = {
  minNodes: 32,
  maxNodes: 64,
  lookups: 20,
  failNodes: 48,
  failSteps: 1,
  churnMedianMinutes: 30,
}

test('sim compare points: joined in order they give the one-process report', () => {
  const { jobs: _jobs, ...settings } = compareSettings(SMALL)
  const points = comparePoints(settings)
  assert.deepEqual(points.map(pointKey), [
    'size-chord-32',
    'size-pastry-32',
    'size-can-32',
    'size-kademlia-32',
    'size-chord-64',
    'size-pastry-64',
    'size-can-64',
    'size-kademlia-64',
    'failure-0.1',
    'churn',
  ])
  // Run smallest N first: the failure and churn runs (48 nodes) before the 64-node points.
  assert.deepEqual(runOrder(points, settings).map(pointKey).slice(4, 6), ['failure-0.1', 'churn'])
  const rows = joinRows(points.map((p) => runPoint(p, settings, 3)))
  assert.deepEqual(compareReport(settings, 3, rows), runCompare(SMALL, 3))
})

test('sim compare points: a point depends only on its own inputs', () => {
  const a = compareSettings({ ...SMALL, maxNodes: 100 })
  const b = compareSettings({ ...SMALL, maxNodes: 3000, dims: 4 })
  const chord = { part: 'size', overlay: 'chord', nodes: 64 } as const
  const can = { part: 'size', overlay: 'can', nodes: 64 } as const
  assert.deepEqual(pointInputs(chord, a), pointInputs(chord, b))
  assert.notDeepEqual(pointInputs(can, a), pointInputs(can, b))
  // From --central-from up the state is built otherwise: another point.
  const central = compareSettings({ ...SMALL, centralFrom: 64 })
  assert.notDeepEqual(pointInputs(chord, a), pointInputs(chord, central))
})

test('sim compare points: run in child processes, kept, and reused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-compare-points-'))
  try {
    const { jobs: _jobs, ...settings } = compareSettings({
      ...SMALL,
      failSteps: 0,
      churnMedianMinutes: 0,
      maxNodes: 32,
    })
    const points = comparePoints(settings)
    const lines: string[] = []
    const first = await runPointsInChildren(points, settings, 3, {
      jobs: 2,
      keepDir: dir,
      progress: (l) => lines.push(l),
    })
    assert.deepEqual(first.failed, [])
    assert.deepEqual(
      first.results.map((r) => [r.key, r.kept]),
      points.map((p) => [pointKey(p), false]),
    )
    for (const r of first.results) assert.ok(r.cpuSeconds > 0 && r.maxRssMb > 0, r.key)
    const rows = joinRows(first.results.map((r) => r.rows))
    assert.deepEqual(rows, joinRows(points.map((p) => runPoint(p, settings, 3))))
    // Again: every point is read back; a file cut short or of another seed is run again.
    writeFileSync(join(dir, 'size-can-32.json'), '{"seed": 3, "inp')
    const pastry = join(dir, 'size-pastry-32.json')
    writeFileSync(pastry, readFileSync(pastry, 'utf8').replace('"seed": 3', '"seed": 4'))
    const again = await runPointsInChildren(points, settings, 3, {
      jobs: 1,
      keepDir: dir,
      progress: () => undefined,
    })
    assert.deepEqual(
      again.results.map((r) => [r.key, r.kept]),
      [
        ['size-chord-32', true],
        ['size-pastry-32', false],
        ['size-can-32', false],
        ['size-kademlia-32', true],
      ],
    )
    assert.deepEqual(joinRows(again.results.map((r) => r.rows)), rows)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

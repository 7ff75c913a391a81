import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runMapReduceSim } from '../../src/lab/scenarios/mapreduce.js'

/**
 * The simulator scenario on 1,000 workers (M=2,000, R=1,000):
 * every run commits each reduce exactly once and succeeds; without backup tasks the tail is
 * long; killing a tenth of the workers mid-job costs little; the report is reproducible.
 */
test('mapreduce on 1,000 simulated workers reproduces the shape of the paper', () => {
  const params = { workers: 1000, maps: 2000, reduces: 1000, killWorkers: 115, killAtSeconds: 20 }
  const report = runMapReduceSim(params, 5)
  for (const run of [report.normal, report.noBackup, report.killed]) {
    assert.deepEqual(run.violations, [])
    assert.equal(run.succeeded, true)
    assert.equal(run.commits, 1000)
  }
  assert.equal(report.noBackup.backupAttempts, 0)
  assert.ok(report.normal.backupAttempts > 0)
  assert.ok(report.noBackupSlowdown >= 1.2, `no backups: x${report.noBackupSlowdown}`)
  assert.ok(report.killed.mapOutputsLost > 0, 'the killed workers lost map outputs')
  assert.ok(report.killedSlowdown <= 1.15, `killed workers: x${report.killedSlowdown}`)
  const small = { ...params, workers: 100, maps: 300, reduces: 100, killWorkers: 10 }
  assert.deepEqual(runMapReduceSim(small, 5), runMapReduceSim(small, 5), 'same seed, same report')
})

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { planJob } from '../../src/drivers/mapreduce/job-setup.js'
import { runLocal } from '../../src/drivers/mapreduce/local.js'
import type { JobProgram, MasterEvent } from '../../src/protocols/mapreduce/index.js'
import { FIXTURES, PY_MAPPER, PY_REDUCER, assertNoOutput, makeInput } from './helpers.js'

/**
 * Bad input fails the job cleanly: the reason names the task and the attempt, every attempt up
 * to the limit (4) ran, and the output holds no part file and no `_SUCCESS`.
 */

async function failingRun(
  program: JobProgram,
  options: { taskTimeoutMs?: number; beforeRun?: (paths: string[]) => void } = {},
) {
  const input = makeInput(1, 200)
  const output = join(mkdtempSync(join(tmpdir(), 'plexus-mr-bad-')), 'out')
  const { job, splits } = planJob({
    program,
    inputs: input.paths,
    output,
    reduces: 2,
    ...(options.taskTimeoutMs === undefined ? {} : { taskTimeoutMs: options.taskTimeoutMs }),
  })
  options.beforeRun?.(input.paths)
  const failures: MasterEvent[] = []
  const progress = await runLocal({
    job,
    splits,
    workers: 2,
    heartbeatMs: 100,
    onEvent: (event) => {
      if (event.type === 'task_failed') failures.push(event)
    },
  })
  assert.equal(progress.finished?.succeeded, false)
  assertNoOutput(output)
  rmSync(input.dir, { recursive: true, force: true })
  return { reason: progress.finished?.reason ?? '', failures, progress }
}

test('a job module that throws fails the job, naming task and attempt', async () => {
  const { reason, progress } = await failingRun({
    kind: 'module',
    module: join(FIXTURES, 'throws.mjs'),
    useCombiner: false,
  })
  assert.match(
    reason,
    /^task m_000000 failed 4 times; last: attempt_m_000000_3 on worker local-\d: map\(\) threw: cherries are not allowed/,
  )
  assert.equal(progress.attemptsFailed, 4)
})

test('a mapper that exits non-zero fails the job with its exit code and stderr', async () => {
  const { reason } = await failingRun({
    kind: 'streaming',
    mapper: 'echo broken pipe dream >&2; exit 3',
    reducer: 'cat',
  })
  assert.match(reason, /attempt_m_000000_3 .*mapper `.*` exited with code 3: broken pipe dream/)
})

test('a mapper printing malformed (non-UTF-8) lines fails the job', async () => {
  const { reason } = await failingRun({
    kind: 'streaming',
    mapper: "printf 'ok\\t1\\n\\377\\376\\n'",
    reducer: 'cat',
  })
  assert.match(reason, /attempt_m_000000_3.*printed malformed output: not UTF-8/)
})

test('a hanging reducer is failed by the task timeout, each attempt in turn', async () => {
  const { reason, failures } = await failingRun(
    { kind: 'streaming', mapper: PY_MAPPER, reducer: 'sleep 30' },
    { taskTimeoutMs: 400 },
  )
  assert.match(
    reason,
    /task r_00000\d failed 4 times; last: attempt_r_00000\d_3 .*no progress for 400 ms \(task timeout\)/,
  )
  assert.ok(
    failures.every((event) => event.type === 'task_failed' && event.attempt.kind === 'reduce'),
  )
})

test('input that vanishes after the job was planned fails the maps that read it', async () => {
  const { reason } = await failingRun(
    { kind: 'streaming', mapper: PY_MAPPER, reducer: PY_REDUCER },
    { beforeRun: (paths) => paths.forEach((path) => unlinkSync(path)) },
  )
  assert.match(reason, /attempt_m_000000_3 .*input .*in0\.txt is unreadable: ENOENT/)
})

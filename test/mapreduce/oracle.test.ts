import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { planJob } from '../../src/drivers/mapreduce/job-setup.js'
import { runLocal } from '../../src/drivers/mapreduce/local.js'
import type { JobProgram } from '../../src/protocols/mapreduce/index.js'
import {
  JS_WORDCOUNT,
  PY_MAPPER,
  PY_REDUCER,
  makeInput,
  oracleWordCount,
  readWordCounts,
} from './helpers.js'

/**
 * Local mode (master here, workers on worker threads, loopback TCP between them): the output
 * equals a sequential word count for 1, 2, 4 and 8 workers, with and without the combiner.
 */

const input = makeInput(3, 1500)
const oracle = oracleWordCount(input.paths)

async function run(program: JobProgram, workers: number, reduces: number) {
  const output = join(mkdtempSync(join(tmpdir(), 'plexus-mr-out-')), 'out')
  const { job, splits } = planJob({
    program,
    inputs: [input.dir],
    output,
    reduces,
    splitBytes: 8_000,
  })
  const progress = await runLocal({ job, splits, workers, heartbeatMs: 200 })
  assert.equal(progress.finished?.succeeded, true, progress.finished?.reason)
  return { output, progress, splits }
}

for (const workers of [1, 2, 4, 8]) {
  for (const useCombiner of [false, true]) {
    test(`a JS job on ${workers} worker(s), ${useCombiner ? 'with' : 'without'} the combiner, equals the oracle`, async () => {
      const reduces = 3
      const { output, progress, splits } = await run(
        { kind: 'module', module: JS_WORDCOUNT, useCombiner },
        workers,
        reduces,
      )
      assert.ok(splits.length > 8, 'enough map tasks for every worker')
      assert.deepEqual(readWordCounts(output, reduces), oracle)
      const combined = progress.counters['TaskCounter,COMBINE_OUTPUT_RECORDS']
      assert.equal(combined !== undefined, useCombiner)
      rmSync(output, { recursive: true, force: true })
    })
  }
}

test('the Python Streaming word count runs unchanged, with its counters, and equals the oracle', async () => {
  const program: JobProgram = {
    kind: 'streaming',
    mapper: PY_MAPPER,
    reducer: PY_REDUCER,
    combiner: PY_REDUCER,
  }
  const { output, progress } = await run(program, 2, 2)
  assert.deepEqual(readWordCounts(output, 2), oracle)
  assert.equal(progress.counters['WordCount,Lines'], 4500)
  rmSync(output, { recursive: true, force: true })
})

test.after(() => rmSync(input.dir, { recursive: true, force: true }))

import assert from 'node:assert/strict'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import {
  FIXTURES,
  makeInput,
  oracleWordCount,
  PY_MAPPER,
  PY_REDUCER,
  readWordCounts,
} from '../mapreduce/helpers.js'
import { jsonBody, withDaemon, withDataDir } from './harness.js'
import { refused, startPluginDaemon } from './plugin-daemon.js'

/** The daemon's MapReduce routes: Streaming jobs run in local mode, their progress, refusals. */

type Job = Record<string, unknown> & { id: string; state: string }

test('mapreduce off (the default): status says so, the job routes answer 409 disabled', async () => {
  await withDaemon(async ({ request }) => {
    const status = await request('/api/v1/mapreduce')
    assert.equal(status.status, 200)
    assert.deepEqual(await status.json(), { enabled: false })
    const job = { mapper: 'cat', reducer: 'cat', inputs: ['/nonexistent'], output: '/tmp/x' }
    await refused(await request('/api/v1/mapreduce/jobs', jsonBody('POST', job)), 409, 'disabled')
    await refused(await request('/api/v1/mapreduce/jobs'), 409, 'disabled')
  })
})

async function withMapReduceDaemon(
  body: (
    request: (path: string, init?: RequestInit) => Promise<Response>,
    dir: string,
  ) => Promise<void>,
): Promise<void> {
  await withDataDir(async (dir) => {
    const { daemon, request } = await startPluginDaemon(dir, [
      '[mapreduce]',
      'enabled = true',
      'workers = 2',
    ])
    try {
      await body(request, dir)
    } finally {
      await daemon.stop()
    }
  })
}

async function waitFor(
  request: (path: string) => Promise<Response>,
  id: string,
  states: readonly string[],
): Promise<Job> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const job = (await (await request(`/api/v1/mapreduce/jobs/${id}`)).json()) as Job
    if (states.includes(job.state)) return job
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.state}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

test('a Streaming job submitted to the daemon runs to the oracle output, with its progress', async () => {
  await withMapReduceDaemon(async (request, dir) => {
    const input = makeInput(3, 400, 7)
    const output = join(dir, 'out')
    const submitted = await request(
      '/api/v1/mapreduce/jobs',
      jsonBody('POST', {
        mapper: PY_MAPPER,
        reducer: PY_REDUCER,
        combiner: PY_REDUCER,
        inputs: [input.dir],
        output,
        reduces: 3,
        splitBytes: 4096,
      }),
    )
    assert.equal(submitted.status, 201)
    const job = (await submitted.json()) as Job
    assert.ok(['queued', 'running'].includes(job.state))
    assert.equal(job['output'], output)
    const done = await waitFor(request, job.id, ['succeeded', 'failed', 'cancelled'])
    assert.equal(done.state, 'succeeded', String(done['error']))
    assert.deepEqual(readWordCounts(output, 3), oracleWordCount(input.paths))
    const maps = done['maps'] as { total: number; committed: number }
    assert.ok(maps.total > 3, 'the 4 KiB splits make several map tasks')
    assert.equal(maps.committed, maps.total)
    assert.equal(done['percent'], 100)
    assert.ok(Number(done['attemptsStarted']) >= maps.total + 3)
    // Listed, newest first, and shown as a plug-in of the peer (the dashboard's table).
    const list = (await (await request('/api/v1/mapreduce/jobs')).json()) as { jobs: Job[] }
    assert.deepEqual(
      list.jobs.map((j) => j.id),
      [job.id],
    )
    const plugins = (await (await request('/api/v1/plugins')).json()) as {
      plugins: { name: string; status: { jobs: Record<string, unknown>[] } }[]
    }
    const row = plugins.plugins.find((p) => p.name === 'mapreduce')?.status.jobs[0]
    assert.equal(row?.['state'], 'succeeded')
    assert.equal(row?.['mapPercent'], 100)
    assert.equal(row?.['reducePercent'], 100)
    // The same output again is refused: Hadoop never overwrites a job's output.
    await refused(
      await request(
        '/api/v1/mapreduce/jobs',
        jsonBody('POST', { mapper: 'cat', reducer: 'cat', inputs: [input.dir], output }),
      ),
      422,
      'exists',
    )
    await refused(
      await request(`/api/v1/mapreduce/jobs/${job.id}`, { method: 'DELETE' }),
      422,
      'finished',
    )
  })
})

test('refusals: a missing input, a malformed body, an unknown job', async () => {
  await withMapReduceDaemon(async (request, dir) => {
    const missing = {
      mapper: 'cat',
      reducer: 'cat',
      inputs: [join(dir, 'nope')],
      output: join(dir, 'o'),
    }
    await refused(
      await request('/api/v1/mapreduce/jobs', jsonBody('POST', missing)),
      404,
      'not_found',
    )
    const empty = join(dir, 'empty')
    mkdirSync(empty)
    const noFiles = { ...missing, inputs: [empty] }
    await refused(
      await request('/api/v1/mapreduce/jobs', jsonBody('POST', noFiles)),
      422,
      'invalid',
    )
    const noReducer = { mapper: 'cat', inputs: [empty], output: join(dir, 'o') }
    await refused(
      await request('/api/v1/mapreduce/jobs', jsonBody('POST', noReducer)),
      400,
      'invalid_request',
    )
    await refused(await request('/api/v1/mapreduce/jobs/job_none'), 404, 'not_found')
    await refused(
      await request('/api/v1/mapreduce/jobs/job_none', { method: 'DELETE' }),
      404,
      'not_found',
    )
  })
})

test('cancel: a queued job never starts; a running one stops without _SUCCESS', async () => {
  await withMapReduceDaemon(async (request, dir) => {
    const input = makeInput(2, 50, 3)
    const slow = `SLOW_MAP_SECONDS=30 ${join(FIXTURES, 'slow_mapper.sh')}`
    const submit = async (name: string): Promise<Job> => {
      const response = await request(
        '/api/v1/mapreduce/jobs',
        jsonBody('POST', {
          mapper: slow,
          reducer: PY_REDUCER,
          inputs: input.paths,
          output: join(dir, name),
        }),
      )
      assert.equal(response.status, 201)
      return (await response.json()) as Job
    }
    const first = await submit('first')
    const second = await submit('second')
    assert.equal(second.state, 'queued', 'one job runs at a time')
    const cancelledQueued = await request(`/api/v1/mapreduce/jobs/${second.id}`, {
      method: 'DELETE',
    })
    assert.equal(((await cancelledQueued.json()) as Job).state, 'cancelled')
    await waitFor(request, first.id, ['running'])
    const aborted = await request(`/api/v1/mapreduce/jobs/${first.id}`, { method: 'DELETE' })
    assert.equal(aborted.status, 200)
    const ended = await waitFor(request, first.id, ['cancelled', 'failed', 'succeeded'])
    assert.equal(ended.state, 'cancelled')
    assert.equal(existsSync(join(dir, 'first', '_SUCCESS')), false)
    assert.equal(existsSync(join(dir, 'second')), false, 'the queued job wrote nothing')
  })
})

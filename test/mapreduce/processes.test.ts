import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { spawnPlexus, type PlexusProcess } from '../../src/cli/spawn.js'
import {
  FIXTURES,
  JsonLog,
  PY_REDUCER,
  makeInput,
  oracleWordCount,
  readWordCounts,
  type JsonLine,
} from './helpers.js'

/**
 * Master and workers as separate `plexus mr` processes on loopback, the shuffle between the
 * workers, and processes SIGKILLed mid-job: the output still equals the sequential oracle.
 */

const SLOW_MAPPER = join(FIXTURES, 'slow_mapper.sh')
const SLOW_REDUCER = join(FIXTURES, 'slow_reducer.sh')
const REDUCES = 3

interface Cluster {
  readonly output: string
  readonly workers: Map<string, PlexusProcess>
  master: PlexusProcess
  masterLog: JsonLog
  address: string
  cleanup(): Promise<void>
}

function masterArgs(output: string, port: number, job: readonly string[]): string[] {
  return [
    'mr',
    'master',
    '--json',
    '--port',
    String(port),
    '--heartbeat',
    '100',
    '-o',
    output,
    '-r',
    String(REDUCES),
    ...job,
  ]
}

async function startCluster(
  job: readonly string[],
  inputs: readonly string[],
  workerCount: number,
): Promise<Cluster> {
  const output = join(mkdtempSync(join(tmpdir(), 'plexus-mr-proc-')), 'out')
  const master = spawnPlexus(
    [...masterArgs(output, 0, job), '--split-size', '6000', ...inputs],
    false,
  )
  const masterLog = new JsonLog(master)
  const listening = await masterLog.next((line) => line.type === 'listening')
  const address = listening['address'] as string
  const workers = new Map<string, PlexusProcess>()
  for (let i = 0; i < workerCount; i++) {
    const worker = spawnPlexus(['mr', 'worker', '--master', address, '--json'], false)
    const ready = await new JsonLog(worker).next((line) => line.type === 'listening')
    workers.set(ready['workerId'] as string, worker)
  }
  const cluster: Cluster = {
    output,
    workers,
    master,
    masterLog,
    address,
    async cleanup() {
      for (const worker of workers.values()) worker.child.kill('SIGKILL')
      cluster.master.child.kill('SIGKILL')
      rmSync(join(output, '..'), { recursive: true, force: true })
    },
  }
  return cluster
}

const started = (prefix: string) => (line: JsonLine) =>
  line.type === 'task_started' && String(line['attempt']).startsWith(prefix)

async function finished(cluster: Cluster): Promise<JsonLine> {
  const summary = await cluster.masterLog.next((line) => line.type === 'summary', 60_000)
  assert.equal(await cluster.master.exited, 0)
  return summary
}

const input = makeInput(3, 400, 7)
const oracle = oracleWordCount(input.paths)
const streaming = ['--mapper', SLOW_MAPPER, '--reducer', SLOW_REDUCER, '--combiner', PY_REDUCER]

test('a worker SIGKILLed mid-map: its attempt runs elsewhere and the output is right', async () => {
  const cluster = await startCluster(streaming, input.paths, 3)
  try {
    const victim = await cluster.masterLog.next(started('attempt_m_'))
    cluster.workers.get(victim['workerId'] as string)?.child.kill('SIGKILL')
    const summary = await finished(cluster)
    assert.equal(summary['succeeded'], true)
    assert.ok(
      cluster.masterLog.lines.some(
        (line) => line.type === 'worker_lost' && line['workerId'] === victim['workerId'],
      ),
    )
    assert.deepEqual(readWordCounts(cluster.output, REDUCES), oracle)
  } finally {
    await cluster.cleanup()
  }
})

test('a worker SIGKILLed mid-reduce: its reduce and the map outputs it held run again', async () => {
  const cluster = await startCluster(streaming, input.paths, 3)
  try {
    const victim = await cluster.masterLog.next(started('attempt_r_'), 30_000)
    const victimId = victim['workerId'] as string
    const heldMaps = cluster.masterLog.lines.filter(
      (line) =>
        line.type === 'task_committed' &&
        line['workerId'] === victimId &&
        String(line['attempt']).startsWith('attempt_m_'),
    ).length
    cluster.workers.get(victimId)?.child.kill('SIGKILL')
    const summary = await finished(cluster)
    assert.equal(summary['succeeded'], true)
    const lost = cluster.masterLog.lines.filter((line) => line.type === 'map_output_lost').length
    assert.equal(lost, heldMaps, 'every map output the dead worker held is run again')
    assert.deepEqual(readWordCounts(cluster.output, REDUCES), oracle)
  } finally {
    await cluster.cleanup()
  }
})

test('the master SIGKILLed mid-job and restarted resumes from its log without re-running committed tasks', async () => {
  const cluster = await startCluster(streaming, input.paths, 3)
  try {
    const port = Number(cluster.address.split(':').at(-1))
    const firstReduce = await cluster.masterLog.next(
      (line) => line.type === 'task_committed' && String(line['attempt']).startsWith('attempt_r_'),
      30_000,
    )
    cluster.master.child.kill('SIGKILL')
    await cluster.master.exited
    const committedReduce = String(firstReduce['attempt']).slice(0, 'attempt_r_000000'.length)
    const restarted = spawnPlexus(masterArgs(cluster.output, port, []), false)
    cluster.master = restarted
    cluster.masterLog = new JsonLog(restarted)
    const listening = await cluster.masterLog.next((line) => line.type === 'listening')
    assert.equal(listening['resumed'], true)
    const summary = await finished(cluster)
    assert.equal(summary['succeeded'], true)
    const rerun = cluster.masterLog.lines
      .filter((line) => line.type === 'task_started')
      .map((line) => String(line['attempt']))
    assert.equal(
      rerun.filter((name) => name.startsWith(committedReduce)).length,
      0,
      'the committed reduce does not run again',
    )
    assert.equal(
      rerun.filter((name) => name.startsWith('attempt_m_')).length,
      0,
      'workers kept their map outputs',
    )
    assert.deepEqual(readWordCounts(cluster.output, REDUCES), oracle)
  } finally {
    await cluster.cleanup()
  }
})

test.after(() => rmSync(input.dir, { recursive: true, force: true }))

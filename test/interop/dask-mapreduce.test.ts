import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { spawnPlexus } from '../../src/cli/spawn.js'
import { PY_MAPPER, PY_REDUCER, makeInput } from '../mapreduce/helpers.js'

/**
 * The Dask engine: `plexus mr run --engine dask` submits the Python Streaming word count to a
 * real Dask distributed cluster (Debian's python3-distributed: dask-scheduler and two
 * dask-workers on 127.0.0.1), and its output equals plexus's own engine's byte for byte.
 */

const started: ChildProcess[] = []

/** Starts a Dask process in its own process group (dask-worker forks a nanny) and waits for `ready`. */
function startDask(
  command: string,
  args: readonly string[],
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  started.push(child)
  return new Promise((resolve, reject) => {
    let text = ''
    const timer = setTimeout(
      () => reject(new Error(`${command} not ready in 60 s: ${text.slice(-500)}`)),
      60_000,
    )
    const onData = (chunk: Buffer): void => {
      text += chunk.toString()
      const match = text.match(ready)
      if (match === null) return
      clearTimeout(timer)
      resolve({ child, match })
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) =>
      reject(new Error(`${command} exited with ${code}: ${text.slice(-500)}`)),
    )
  })
}

async function runJob(args: readonly string[]): Promise<void> {
  const run = spawnPlexus(['mr', 'run', '--json', ...args], false)
  const summary = await run.waitForLine(
    (line) => (line.includes('"summary"') ? line : undefined),
    120_000,
  )
  assert.match(summary, /"type":"summary"/)
  assert.equal(await run.exited, 0)
}

test(
  'a Streaming job on a Dask cluster writes the same bytes as plexus',
  { timeout: 180_000 },
  async () => {
    const scheduler = await startDask(
      'dask-scheduler',
      ['--host', '127.0.0.1', '--port', '0', '--no-dashboard'],
      /Scheduler at:\s+(tcp:\/\/127\.0\.0\.1:\d+)/,
    )
    const address = scheduler.match[1] as string
    for (let i = 0; i < 2; i++) {
      await startDask(
        'dask-worker',
        [address, '--nworkers', '1', '--nthreads', '1', '--no-dashboard', '--host', '127.0.0.1'],
        /Registered to:/,
      )
    }
    const input = makeInput(2, 600, 11)
    const outputs = mkdtempSync(join(tmpdir(), 'plexus-mr-dask-'))
    const job = [
      '--mapper',
      PY_MAPPER,
      '--reducer',
      PY_REDUCER,
      '--combiner',
      PY_REDUCER,
      '-r',
      '3',
      '--split-size',
      '5000',
      ...input.paths,
    ]
    await runJob(['--engine', 'dask', '--scheduler', address, ...job, '-o', join(outputs, 'dask')])
    await runJob(['--workers', '2', ...job, '-o', join(outputs, 'plexus')])
    const files = readdirSync(join(outputs, 'plexus')).sort()
    assert.deepEqual(files, ['_SUCCESS', 'part-00000', 'part-00001', 'part-00002'])
    assert.deepEqual(readdirSync(join(outputs, 'dask')).sort(), files)
    for (const file of files) {
      assert.ok(
        readFileSync(join(outputs, 'dask', file)).equals(
          readFileSync(join(outputs, 'plexus', file)),
        ),
        `${file} differs`,
      )
    }
    rmSync(outputs, { recursive: true, force: true })
    rmSync(input.dir, { recursive: true, force: true })
  },
)

test.after(() => {
  for (const child of started.reverse()) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
})

import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { JobSpec, Split } from '../../protocols/mapreduce/index.js'

/**
 * `plexus mr run --engine dask`: hands a Streaming job to a Dask distributed cluster through
 * python/dask_mapreduce.py (run with /usr/bin/python3, Debian's python3-distributed). The
 * script follows plexus's rules for splits, partitions, order and output, so both engines write
 * the same bytes.
 */

export const DASK_SCRIPT = fileURLToPath(
  new URL('../../../../python/dask_mapreduce.py', import.meta.url),
)
export const PYTHON = process.env['PLEXUS_PYTHON'] ?? '/usr/bin/python3'

export interface DaskRun {
  readonly job: JobSpec
  readonly splits: readonly Split[]
  readonly scheduler: string
}

export function runDask(run: DaskRun): Promise<{ maps: number; reduces: number; seconds: number }> {
  const program = run.job.program
  if (program.kind !== 'streaming') {
    return Promise.reject(
      new Error('the Dask engine runs Streaming jobs (--mapper/--reducer) only'),
    )
  }
  const request = {
    scheduler: run.scheduler,
    mapper: program.mapper,
    reducer: program.reducer,
    ...(program.combiner === undefined ? {} : { combiner: program.combiner }),
    reduces: run.job.reduces,
    splits: run.splits.map((split) => ({
      path: split.path,
      start: split.start,
      length: split.length,
    })),
    output: run.job.output,
  }
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [DASK_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr
      .setEncoding('utf8')
      .on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0)
        return reject(
          new Error(
            `the Dask driver exited with code ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
          ),
        )
      try {
        resolve(
          JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as {
            maps: number
            reduces: number
            seconds: number
          },
        )
      } catch {
        reject(new Error(`the Dask driver printed no summary: ${stdout.slice(0, 200)}`))
      }
    })
    child.stdin.end(JSON.stringify(request))
  })
}

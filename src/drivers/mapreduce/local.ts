import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { JobProgress, JobSpec, MasterEvent, Split } from '../../protocols/mapreduce/index.js'
import { MasterDriver } from './master-driver.js'

export interface LocalRunOptions {
  readonly job: JobSpec
  readonly splits: readonly Split[]
  readonly workers: number
  readonly heartbeatMs?: number
  readonly backupTasks?: boolean
  readonly onEvent?: (event: MasterEvent) => void
  readonly onMaster?: (master: MasterDriver) => void
}

/**
 * Local mode, the embedded default: the master in this thread and each worker on a worker
 * thread, talking over loopback TCP with the same frames, master and worker code as separate
 * processes do. Map outputs live in a temporary directory removed at the end.
 */
export async function runLocal(options: LocalRunOptions): Promise<JobProgress> {
  const workDir = mkdtempSync(join(tmpdir(), 'plexus-mr-'))
  const master = new MasterDriver({
    bindHost: '127.0.0.1',
    port: 0,
    output: options.job.output,
    job: options.job,
    splits: options.splits,
    heartbeatMs: options.heartbeatMs ?? 3000,
    config: options.backupTasks === undefined ? {} : { backupTasks: options.backupTasks },
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  })
  const address = await master.start()
  options.onMaster?.(master)
  const threads: Worker[] = []
  if (address !== '') {
    for (let index = 0; index < options.workers; index++) {
      const thread = new Worker(new URL('./worker-thread.js', import.meta.url), {
        workerData: {
          master: address,
          workDir: join(workDir, `w${index}`),
          workerId: `local-${index}`,
        },
      })
      thread.on('error', () => undefined)
      threads.push(thread)
    }
  }
  try {
    return await master.done
  } finally {
    await Promise.all(threads.map((thread) => thread.terminate()))
    rmSync(workDir, { recursive: true, force: true })
  }
}

import { Worker } from 'node:worker_threads'
import type { SectionJob, WorkerMessage } from './lab-worker.js'
import type { SectionResult } from './section.js'

/**
 * The young generation each section's worker gets. A simulation allocates small short-lived
 * objects at a furious rate; V8's default young generation makes every scavenge copy the live
 * set again (see src/cli/sim-heap.ts, which gives `plexus sim` 256 MiB semi-spaces for the same
 * reason). About three semi-spaces' worth.
 */
const YOUNG_GENERATION_MB = 768

/**
 * Runs sections on up to `jobs` worker threads, each section alone in its worker, and resolves
 * with the results in the order of `ids` (not of completion), so the report's bytes do not
 * depend on `jobs`. The first failing section rejects the whole run.
 */
export function runSectionsInWorkers(
  ids: readonly string[],
  options: { readonly seed: number; readonly quick: boolean; readonly jobs: number },
  progress: (line: string) => void,
): Promise<SectionResult[]> {
  const results = new Map<string, SectionResult>()
  const queue = [...ids]
  let failed = false
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => {
      if (failed) return
      failed = true
      reject(error)
    }
    const next = (): void => {
      if (failed) return
      const id = queue.shift()
      if (id === undefined) {
        if (results.size === ids.length) resolve(ids.map((i) => results.get(i) as SectionResult))
        return
      }
      const started = performance.now()
      progress(`section ${id}: running`)
      const job: SectionJob = { id, seed: options.seed, quick: options.quick }
      const worker = new Worker(new URL('./lab-worker.js', import.meta.url), {
        workerData: job,
        resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
      })
      let settled = false
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'progress') return progress(message.line)
        settled = true
        if (message.type === 'error') return fail(new Error(`section ${id}: ${message.message}`))
        results.set(id, message.result)
        const seconds = ((performance.now() - started) / 1000).toFixed(1)
        progress(`section ${id}: done in ${seconds} s (wall)`)
      })
      worker.on('error', (error) => fail(new Error(`section ${id}: ${error.message}`)))
      worker.on('exit', (code) => {
        if (!settled) return fail(new Error(`section ${id}: its worker exited (${code})`))
        next()
      })
    }
    const workers = Math.max(1, Math.min(options.jobs, ids.length))
    if (ids.length === 0) return resolve([])
    for (let i = 0; i < workers; i++) next()
  })
}

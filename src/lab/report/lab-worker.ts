import { parentPort, workerData } from 'node:worker_threads'
import type { SectionResult } from './section.js'
import { SECTIONS } from './sections/index.js'

/** What `lab-pool.ts` gives a worker: one section to run. */
export interface SectionJob {
  readonly id: string
  readonly seed: number
  readonly quick: boolean
}

/** What a worker sends back: progress lines, then the section's result or its error. */
export type WorkerMessage =
  | { readonly type: 'progress'; readonly line: string }
  | { readonly type: 'result'; readonly result: SectionResult }
  | { readonly type: 'error'; readonly message: string }

/**
 * One lab section in a worker thread of its own: the sections share nothing but their inputs,
 * so running them side by side gives the same figures as one after the other.
 */
function main(): void {
  const port = parentPort
  if (port === null) throw new Error('lab-worker runs as a worker thread')
  const job = workerData as SectionJob
  const send = (message: WorkerMessage): void => port.postMessage(message)
  const section = SECTIONS.find((s) => s.id === job.id)
  if (section === undefined) return send({ type: 'error', message: `no section ${job.id}` })
  try {
    const body = section.run({
      seed: job.seed,
      quick: job.quick,
      progress: (line) => send({ type: 'progress', line }),
    })
    send({ type: 'result', result: { id: section.id, title: section.title, ...body } })
  } catch (error) {
    send({
      type: 'error',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    })
  }
}

main()

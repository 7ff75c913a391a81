import { parentPort, workerData } from 'node:worker_threads'
import { MapReduceWorker } from './worker.js'

/** Entry point of a local-mode worker thread: one MapReduceWorker, the same as a process runs. */
interface ThreadData {
  readonly master: string
  readonly workDir: string
  readonly workerId: string
}

const data = workerData as ThreadData
const worker = new MapReduceWorker({
  master: data.master,
  workDir: data.workDir,
  bindHost: '127.0.0.1',
  workerId: data.workerId,
  exitOnJobEnd: true,
  reconnectForMs: 5_000,
})
await worker.start()
const result = await worker.done
await worker.stop()
parentPort?.postMessage(result)

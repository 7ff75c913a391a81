import type { Callback } from '../../core/env.js'
import { OperationalError } from '../../core/errors.js'
import { err, ok } from '../../core/result.js'
import { MapReduceWorker, type WorkerOptions } from './worker.js'

/**
 * A MapReduce worker as a plug-in of a Peer: it has the shape of `PeerPlugin`
 * (src/peer/types.ts: name, start, stop, status) without importing the peer layer, which sits
 * above drivers. `peer.use(new MapReduceWorkerPlugin({ master, workDir, bindHost }), done)`
 * makes a running plexus node a worker; it stays up across jobs and master restarts.
 */
export class MapReduceWorkerPlugin {
  readonly name = 'mapreduce-worker'
  private readonly worker: MapReduceWorker

  constructor(options: Omit<WorkerOptions, 'exitOnJobEnd'>) {
    this.worker = new MapReduceWorker({ ...options, exitOnJobEnd: false })
  }

  start(done: Callback<void>): void {
    this.worker.start().then(
      () => done(ok(undefined)),
      (error: Error) => done(err(new OperationalError('io', `mapreduce worker: ${error.message}`))),
    )
  }

  stop(done: Callback<void>): void {
    this.worker.stop().then(
      () => done(ok(undefined)),
      (error: Error) => done(err(new OperationalError('io', `mapreduce worker: ${error.message}`))),
    )
  }

  status(): Readonly<Record<string, unknown>> {
    return this.worker.status()
  }
}

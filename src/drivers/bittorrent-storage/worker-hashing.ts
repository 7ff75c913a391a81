/**
 * `PieceHashing` on worker threads, so that SHA-1 (about 1-2 GB/s per core) and the SHA-256
 * merkle roots of v2 pieces run beside the event loop instead of on it. Each job copies the
 * piece's parts into one buffer and transfers that buffer (a copy is needed anyway: posting a
 * view clones its whole underlying buffer, which for a block is the socket's receive chunk).
 * Buffers come back with the digest and are reused. Small pieces are hashed inline: posting
 * costs more than hashing them.
 *
 * With few cores (two or fewer) there are no workers and every piece is hashed inline: a
 * worker only helps when a core is free for it, and on such a machine the copy into the job
 * buffer, the post and the thread switches cost the process more than the hashing they move
 * (measured in docs/benchmarks.md, "Speed work of issue 20").
 *
 * Jobs go to the worker with the fewest outstanding; a worker answers in order, so each keeps
 * a FIFO of callbacks. A worker that dies fails its outstanding jobs with 'io' and is replaced.
 * Idle workers are unref'd so that they never keep the process alive.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { Callback } from '../../core/env.js'
import { assert, OperationalError } from '../../core/errors.js'
import { err, ok } from '../../core/result.js'
import type { PieceHashing, V2PieceShape } from '../../protocols/bittorrent/storage/index.js'
import type { HashRequest, HashResponse } from './hash-worker.js'
import { pieceDigest } from './piece-digest.js'

/** Pieces up to this many bytes are hashed on the calling thread. */
export const INLINE_HASH_BYTES_MAX = 64 * 1024
/** Returned buffers kept for reuse; more are left to the garbage collector. */
export const SPARE_BUFFERS_MAX = 8

export interface WorkerPieceHashingOptions {
  /** Default: `defaultHashWorkers()`. 0 hashes every piece on the calling thread. */
  readonly workers?: number
  readonly inlineBytesMax?: number
}

interface HashWorker {
  worker: Worker
  readonly pending: Callback<Uint8Array>[]
}

/** No workers on two cores or fewer; else one less than the cores, at most 4. */
export function defaultHashWorkers(cores: number = availableParallelism()): number {
  return cores <= 2 ? 0 : Math.min(4, cores - 1)
}

export class WorkerPieceHashing implements PieceHashing {
  private readonly workers: HashWorker[] = []
  private readonly spare: ArrayBuffer[] = []
  private readonly inlineBytesMax: number
  private closed = false

  constructor(options: WorkerPieceHashingOptions = {}) {
    const count = options.workers ?? defaultHashWorkers()
    assert(Number.isSafeInteger(count) && count >= 0, `bad worker count ${count}`)
    this.inlineBytesMax = options.inlineBytesMax ?? INLINE_HASH_BYTES_MAX
    for (let i = 0; i < count; i++) this.workers.push(this.spawn())
  }

  hashPiece(_index: number, parts: readonly Uint8Array[], done: Callback<Uint8Array>): void {
    this.hash(parts, undefined, done)
  }

  hashPieceV2(
    _index: number,
    parts: readonly Uint8Array[],
    shape: V2PieceShape,
    done: Callback<Uint8Array>,
  ): void {
    this.hash(parts, shape, done)
  }

  private hash(
    parts: readonly Uint8Array[],
    v2: V2PieceShape | undefined,
    done: Callback<Uint8Array>,
  ): void {
    if (this.closed) {
      const closed = new OperationalError('closed', 'piece hashing is closed')
      return void setImmediate(() => done(err(closed)))
    }
    const length = parts.reduce((sum, part) => sum + part.length, 0)
    if (length <= this.inlineBytesMax || this.workers.length === 0) {
      const digest = pieceDigest(parts, v2)
      return void setImmediate(() => done(ok(digest)))
    }
    const buffer = this.takeBuffer(length)
    const bytes = new Uint8Array(buffer)
    let at = 0
    for (const part of parts) {
      bytes.set(part, at)
      at += part.length
    }
    const request: HashRequest = v2 === undefined ? { buffer, length } : { buffer, length, v2 }
    const target = this.workers.reduce((a, b) => (b.pending.length < a.pending.length ? b : a))
    if (target.pending.length === 0) target.worker.ref()
    target.pending.push(done)
    target.worker.postMessage(request, [buffer])
  }

  /** Stops the workers; jobs still outstanding fail with 'closed'. */
  close(): Promise<void> {
    this.closed = true
    const stopping = this.workers.map((w) => {
      this.failAll(w, new OperationalError('closed', 'piece hashing is closed'))
      return w.worker.terminate()
    })
    return Promise.all(stopping).then(() => undefined)
  }

  private spawn(): HashWorker {
    const entry: HashWorker = {
      worker: new Worker(new URL('./hash-worker.js', import.meta.url)),
      pending: [],
    }
    this.attach(entry)
    return entry
  }

  private attach(entry: HashWorker): void {
    const { worker } = entry
    worker.unref()
    worker.on('message', (response: HashResponse) => {
      const done = entry.pending.shift()
      if (entry.pending.length === 0) worker.unref()
      this.giveBack(response.buffer)
      done?.(ok(response.digest))
    })
    worker.on('error', (error) => {
      this.failAll(entry, new OperationalError('io', `hash worker failed: ${error.message}`))
    })
    worker.on('exit', () => {
      if (this.closed) return
      this.failAll(entry, new OperationalError('io', 'hash worker exited'))
      entry.worker = new Worker(new URL('./hash-worker.js', import.meta.url))
      this.attach(entry)
    })
  }

  private failAll(entry: HashWorker, error: OperationalError): void {
    const pending = entry.pending.splice(0)
    for (const done of pending) setImmediate(() => done(err(error)))
  }

  /** A buffer of at least `length` bytes: a spare one of the same length, or a new one. */
  private takeBuffer(length: number): ArrayBuffer {
    const index = this.spare.findIndex((buffer) => buffer.byteLength === length)
    if (index < 0) return new ArrayBuffer(length)
    return this.spare.splice(index, 1)[0] as ArrayBuffer
  }

  private giveBack(buffer: ArrayBuffer): void {
    if (this.spare.length >= SPARE_BUFFERS_MAX) this.spare.shift()
    this.spare.push(buffer)
  }
}

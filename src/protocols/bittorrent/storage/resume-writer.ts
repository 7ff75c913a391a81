/**
 * Writes resume data with at most one write in flight, the latest state winning. A request
 * made while a write runs cannot be served by it (that write's state was taken before the
 * request), so it waits for one more write; any number of requests made meanwhile share that
 * one write. The state is produced by `prepare` when a write starts, never queued, so no stale
 * state is ever written after a newer one, and memory stays at one snapshot.
 *
 * When to write (every N seconds, every M verified pieces, on pause and shutdown) is the
 * caller's policy: call `request` then.
 *
 * The write itself is injected (`writeAtomic`): the driver passes `writeFileAtomic` from
 * `drivers/disk-atomic.ts` (temp file, fsync, rename, directory fsync), which this sans-IO layer
 * may not import.
 */
import type { Callback, Disk } from '../../../core/env.js'
import { assert } from '../../../core/errors.js'
import { parentDir } from './file-paths.js'

/** Replaces the file at `path` with `bytes` so that a crash leaves the old or the new bytes. */
export type AtomicWrite = (path: string, bytes: Uint8Array, done: Callback<void>) => void

export interface ResumeWriterOptions {
  /** Used to create the resume file's directory before the first write. */
  readonly disk: Disk
  readonly path: string
  readonly writeAtomic: AtomicWrite
  /**
   * Produces the bytes to write at the moment a write starts. It may do I/O first: the
   * storage fsyncs data files here, before the resume data claims their pieces.
   */
  readonly prepare: (done: Callback<Uint8Array>) => void
}

export class ResumeWriter {
  /** Who waits on the write in flight; undefined when none runs. */
  private current: Callback<void>[] | undefined
  /** Who waits on the write after it. */
  private following: Callback<void>[] = []
  private dirMade = false
  private started = 0

  constructor(private readonly options: ResumeWriterOptions) {}

  /** Asks for the current state to be written; `done` runs when a write begun after it ends. */
  request(done: Callback<void>): void {
    if (this.current !== undefined) return void this.following.push(done)
    this.start([done])
  }

  get inFlight(): boolean {
    return this.current !== undefined
  }

  /** Writes begun so far (coalescing keeps this at most requests, usually far fewer). */
  get writesStarted(): number {
    return this.started
  }

  private start(waiters: Callback<void>[]): void {
    assert(this.current === undefined, 'two resume writes at once')
    this.current = waiters
    this.started++
    const { disk, path, writeAtomic, prepare } = this.options
    const finish: Callback<void> = (result) => {
      const done = this.current ?? []
      this.current = undefined
      if (this.following.length > 0) {
        const next = this.following
        this.following = []
        this.start(next)
      }
      for (const waiter of done) waiter(result)
    }
    const write = (): void =>
      prepare((prepared) => {
        if (!prepared.ok) return finish(prepared)
        writeAtomic(path, prepared.value, finish)
      })
    const dir = parentDir(path)
    if (this.dirMade || dir === '') return write()
    disk.mkdir(dir, (made) => {
      if (!made.ok) return finish(made)
      this.dirMade = true
      write()
    })
  }
}

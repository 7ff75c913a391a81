/**
 * The open files of one torrent: opened lazily, creating directories on first write, at most
 * `openFilesMax` at a time (least recently used closed first), with opens of one file shared
 * by everyone who asks while it is under way.
 *
 * Evicting a handle with I/O in flight is safe: the Disk's `close` waits for that I/O. Callers
 * must start their operation in the `acquire` callback itself, before anything else can run.
 *
 * Dirty tracking for durability: a file is marked dirty when a write to it *completes*, and
 * `syncDirty` takes the marks it starts from. So once a sync that began after a write's
 * completion has finished, that write is on stable storage. A handle closed by eviction keeps
 * its mark, and the sync reopens the file: fsync on Linux flushes the inode's dirty pages
 * whichever descriptor wrote them. (A write-back error seen only by the closed descriptor may be
 * reported to the new one or lost, depending on the kernel; the resume data is then one
 * checkpoint optimistic, which a later recheck catches.)
 */
import type { Callback, Disk, DiskFile } from '../../../core/env.js'
import { assert, OperationalError } from '../../../core/errors.js'
import { err, ok, type Result } from '../../../core/result.js'
import { parentDir } from './file-paths.js'
import { runLimited } from './callbacks.js'

interface OpenFile {
  readonly file: DiskFile
  readonly writable: boolean
}

interface PendingOpen {
  readonly waiters: Callback<DiskFile>[]
  /** Someone needs to write: a read-only open that completes is reopened writable. */
  writable: boolean
}

export class FileHandles {
  /** Map order is recency: the first entry is the least recently used. */
  private readonly handles = new Map<number, OpenFile>()
  private readonly opening = new Map<number, PendingOpen>()
  private readonly madeDirs = new Set<string>()
  private readonly dirty = new Set<number>()
  private closed = false

  constructor(
    private readonly disk: Disk,
    private readonly paths: readonly string[],
    private readonly openFilesMax: number,
    /** BEP 47 `x` files: made executable when opened for writing. */
    private readonly executable: ReadonlySet<number> = new Set(),
  ) {
    assert(Number.isSafeInteger(openFilesMax) && openFilesMax > 0, `bad ${openFilesMax} files`)
  }

  get openCount(): number {
    return this.handles.size
  }

  /**
   * Calls `use` with an open handle, writable (created with its directories when missing) if
   * `writable`. `use` runs synchronously when the handle is already open.
   */
  acquire(fileIndex: number, writable: boolean, use: Callback<DiskFile>): void {
    assert(!this.closed, 'file handles used after close')
    const handle = this.handles.get(fileIndex)
    if (handle !== undefined && (handle.writable || !writable)) {
      this.handles.delete(fileIndex)
      this.handles.set(fileIndex, handle)
      return use(ok(handle.file))
    }
    const pending = this.opening.get(fileIndex)
    if (pending !== undefined) {
      pending.waiters.push(use)
      pending.writable ||= writable
      return
    }
    if (handle !== undefined) {
      // A read-only handle cannot write: replace it. Reads in flight on it finish first.
      this.handles.delete(fileIndex)
      handle.file.close(() => {})
    }
    this.opening.set(fileIndex, { waiters: [use], writable })
    this.openFile(fileIndex, writable)
  }

  /** Records that a write to the file completed: the next `syncDirty` must cover it. */
  markDirty(fileIndex: number): void {
    this.dirty.add(fileIndex)
  }

  get dirtyCount(): number {
    return this.dirty.size
  }

  /** fsyncs every file written since the last sync began; failed files stay dirty. */
  syncDirty(inFlightMax: number, done: Callback<void>): void {
    const files = [...this.dirty]
    this.dirty.clear()
    let failure: OperationalError | undefined
    runLimited(
      files,
      inFlightMax,
      (fileIndex, _, finished) => {
        const fail = (error: OperationalError): void => {
          failure ??= error
          this.dirty.add(fileIndex)
          finished()
        }
        this.acquire(fileIndex, false, (opened) => {
          if (!opened.ok) return fail(opened.error)
          opened.value.sync((synced) => (synced.ok ? finished() : fail(synced.error)))
        })
      },
      () => done(failure === undefined ? ok(undefined) : err(failure)),
    )
  }

  /** Opens the files writable, creating them (and their directories) when missing. */
  create(fileIndices: readonly number[], inFlightMax: number, done: Callback<void>): void {
    let failure: OperationalError | undefined
    runLimited(
      fileIndices,
      inFlightMax,
      (fileIndex, _, finished) =>
        this.acquire(fileIndex, true, (opened) => {
          if (!opened.ok) failure ??= opened.error
          finished()
        }),
      () => done(failure === undefined ? ok(undefined) : err(failure)),
    )
  }

  /** Closes every handle (after its I/O in flight); opens under way close when they finish. */
  closeAll(done: Callback<void>): void {
    this.closed = true
    const files = [...this.handles.values()].map((handle) => handle.file)
    this.handles.clear()
    let failure: OperationalError | undefined
    runLimited(
      files,
      files.length || 1,
      (file, _, finished) =>
        file.close((closed) => {
          if (!closed.ok) failure ??= closed.error
          finished()
        }),
      () => done(failure === undefined ? ok(undefined) : err(failure)),
    )
  }

  private openFile(fileIndex: number, writable: boolean): void {
    const path = this.paths[fileIndex] as string
    if (!writable) return this.disk.open(path, 'read', (r) => this.opened(fileIndex, false, r))
    this.ensureDir(parentDir(path), (made) => {
      if (!made.ok) return this.opened(fileIndex, true, made)
      this.disk.open(path, 'create', (r) => {
        const setExecutable = r.ok ? r.value.setExecutable?.bind(r.value) : undefined
        if (!r.ok || !this.executable.has(fileIndex) || setExecutable === undefined) {
          return this.opened(fileIndex, true, r)
        }
        // Before any write, so the file never sits on disk complete but not executable.
        const file = r.value
        setExecutable((set) => {
          if (set.ok) return this.opened(fileIndex, true, r)
          file.close(() => this.opened(fileIndex, true, set as Result<never, OperationalError>))
        })
      })
    })
  }

  private opened(
    fileIndex: number,
    writable: boolean,
    result: Result<DiskFile, OperationalError>,
  ): void {
    const pending = this.opening.get(fileIndex)
    assert(pending !== undefined, `open of file ${fileIndex} completed twice`)
    if (!this.closed && pending.writable && !writable) {
      // A writer joined while we opened read-only (or found nothing to open): reopen writable,
      // creating the file if need be, for everyone.
      if (result.ok) result.value.close(() => {})
      return this.openFile(fileIndex, true)
    }
    this.opening.delete(fileIndex)
    if (result.ok && this.closed) {
      result.value.close(() => {})
      result = err(new OperationalError('closed', `'${result.value.path}': storage closed`))
    }
    if (result.ok) {
      this.handles.set(fileIndex, { file: result.value, writable })
      this.evict()
    }
    for (const waiter of pending.waiters) waiter(result)
  }

  /** Closes least recently used handles until at most `openFilesMax` are open. */
  private evict(): void {
    for (const [fileIndex, handle] of this.handles) {
      if (this.handles.size <= this.openFilesMax) return
      this.handles.delete(fileIndex)
      // A close error changes nothing for us: the dirty mark stays and the sync reopens.
      handle.file.close(() => {})
    }
  }

  private ensureDir(dir: string, done: Callback<void>): void {
    if (dir === '' || this.madeDirs.has(dir)) return done(ok(undefined))
    this.disk.mkdir(dir, (made) => {
      if (made.ok) this.madeDirs.add(dir)
      done(made)
    })
  }
}

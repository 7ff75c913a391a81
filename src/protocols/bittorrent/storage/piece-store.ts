/**
 * A torrent's pieces on the Disk port. The payload is the torrent's files back to back, so a
 * block maps to one or more file segments (`filesInRange`) written with positional writes
 * straight from the caller's view: a block is never copied on its way to disk. BEP 47 pad
 * files are never created or written, and read as zeros.
 *
 * Writes pass through a FIFO with two named bounds: `writesInFlightMax` writes at the Disk at
 * once, and a backlog of accepted bytes (`isBackedUp()` past the high mark tells the swarm to
 * stop requesting; past the max, blocks are refused). While writes are in flight, adjacent
 * blocks that wait are merged into runs and leave as one `writev` per file (no copy), so the
 * number of disk operations falls as the load rises.
 *
 * A failed write puts the store in the errored state (libtorrent's "file error" pause): the
 * queued writes fail with the same error and later ones are refused, until `clearError()` (the
 * user freed space, say). Reads keep working so that verified data can still be served.
 */
import { concatBytes } from '../../../core/bytes.js'
import { DISK_READ_BYTES_MAX, type Callback, type Disk } from '../../../core/env.js'
import { assert, OperationalError } from '../../../core/errors.js'
import { err, ok } from '../../../core/result.js'
import {
  filesInRange,
  pieceLengthAt,
  pieceOffset,
  type FileSegment,
  type Metainfo,
} from '../metainfo/index.js'
import { callLater, type Defer } from './callbacks.js'
import { FileHandles } from './file-handles.js'
import { filePaths, statFiles } from './file-paths.js'
import { DEFAULT_STORAGE_LIMITS, type StorageLimits } from './limits.js'
import { readRange } from './range-reader.js'
import { PieceReadCache, rangeOfParts, type PieceParts } from './read-cache.js'
import { WriteQueue, type QueuedRun } from './write-queue.js'

/** What `writeBlock` did: only a 'queued' block has its `done` called. */
export type WriteOutcome = 'queued' | 'backlog_full' | 'errored'

/** The read side the verifier and the recheck need (the simulator may stand in for it). */
export interface PieceReader {
  /** The piece's bytes as parts in payload order (no concatenation: hashing takes parts). */
  readPiece(index: number, done: Callback<Uint8Array[]>): void
}

export interface PieceStoreOptions {
  readonly disk: Disk
  readonly metainfo: Metainfo
  /** Directory that holds the torrent's files ('' for the Disk's root). */
  readonly saveDir: string
  /** Used only to keep callbacks asynchronous when an answer needs no I/O (padding). */
  readonly defer: Defer
  readonly limits?: Partial<StorageLimits>
  /**
   * Checks a whole piece read for the upload cache before anything is served from it (the
   * torrent storage hashes it): false keeps it out of the cache and fails the read.
   */
  readonly checkUpload?: (index: number, bytes: Uint8Array, done: Callback<boolean>) => void
}

export class PieceStore implements PieceReader {
  readonly limits: StorageLimits
  readonly paths: readonly string[]
  private readonly m: Metainfo
  private readonly defer: Defer
  private readonly files: FileHandles
  private readonly queue: WriteQueue
  private readonly cache: PieceReadCache
  private failure: OperationalError | undefined
  private closeWaiters: Callback<void>[] | undefined
  private closing = false
  private writtenWaiters: (() => void)[] = []
  /** Files a write completed on since the last `takeChangedFiles` (their mtime moved). */
  private readonly changedFiles = new Set<number>()
  private readonly checkUpload: PieceStoreOptions['checkUpload']
  private readonly disk: Disk

  constructor(options: PieceStoreOptions) {
    this.m = options.metainfo
    this.checkUpload = options.checkUpload
    this.disk = options.disk
    this.defer = options.defer
    this.limits = { ...DEFAULT_STORAGE_LIMITS, ...options.limits }
    this.paths = filePaths(options.saveDir, this.m)
    const executable = new Set(this.m.files.flatMap((f, i) => (f.executable && !f.pad ? [i] : [])))
    this.files = new FileHandles(options.disk, this.paths, this.limits.openFilesMax, executable)
    this.cache = new PieceReadCache(this.limits.readCacheBytesMax)
    this.queue = new WriteQueue({
      bytesMax: this.limits.writeRunBytesMax,
      blocksMax: this.limits.writeRunBlocksMax,
    })
  }

  /**
   * Queues `bytes` for piece `index` at `begin`. The store keeps the view (no copy): do not
   * modify its bytes until `done`. Call `isBackedUp()` before requesting more blocks.
   */
  writeBlock(index: number, begin: number, bytes: Uint8Array, done: Callback<void>): WriteOutcome {
    assert(this.closeWaiters === undefined, 'writeBlock after close')
    checkBlock(this.m, index, begin, bytes.length)
    if (this.failure !== undefined) return 'errored'
    if (this.queue.backlogBytes + bytes.length > this.limits.writeBacklogBytesMax) {
      return 'backlog_full'
    }
    this.queue.push(pieceOffset(this.m, index) + begin, { bytes, done })
    this.pump()
    return 'queued'
  }

  get writesInFlight(): number {
    return this.queue.inFlight
  }

  get writesQueued(): number {
    return this.queue.waiting
  }

  /** Bytes accepted and not yet on disk (queued or in flight). */
  get backlogBytes(): number {
    return this.queue.backlogBytes
  }

  /** True while the swarm should not request more blocks: the disk is behind. */
  isBackedUp(): boolean {
    return this.queue.backlogBytes >= this.limits.writeBacklogBytesHigh
  }

  /** Handles open now (at most `openFilesMax`). */
  get openFileCount(): number {
    return this.files.openCount
  }

  /** The write error that stopped the torrent, if any. */
  get error(): OperationalError | undefined {
    return this.failure
  }

  /** Accepts writes again after the cause of `error` was dealt with. */
  clearError(): void {
    this.failure = undefined
  }

  /** Bytes `[begin, begin + length)` of piece `index`, for uploading; spans files as needed. */
  readBlock(index: number, begin: number, length: number, done: Callback<Uint8Array>): void {
    checkBlock(this.m, index, begin, length)
    assert(length <= DISK_READ_BYTES_MAX, `block of ${length} bytes`)
    const pieceBytes = pieceLengthAt(this.m, index)
    if (pieceBytes <= this.limits.readCachePieceBytesMax && this.limits.readCacheBytesMax > 0) {
      const readPiece = (d: Callback<PieceParts>): void =>
        this.readRange(pieceOffset(this.m, index), pieceBytes, (read) => {
          if (!read.ok) return d(read)
          const bytes =
            read.value.length === 1 ? (read.value[0] as Uint8Array) : concatBytes(read.value)
          if (this.checkUpload === undefined) return d(ok([bytes]))
          this.checkUpload(index, bytes, (checked) => {
            if (!checked.ok) return d(checked)
            if (checked.value) return d(ok([bytes]))
            const why = `piece ${index} changed on disk since it was verified`
            d(err(new OperationalError('io', why)))
          })
        })
      const fromCache = (d: Callback<Uint8Array>): void =>
        this.cache.piece(index, readPiece, (piece) =>
          d(piece.ok ? ok(rangeOfParts(piece.value, begin, length)) : piece),
        )
      return callLater(this.defer, fromCache, done)
    }
    this.readRange(pieceOffset(this.m, index) + begin, length, (read) => {
      if (!read.ok) return done(read)
      // Only a block that straddles a file boundary needs joining.
      done(ok(read.value.length === 1 ? (read.value[0] as Uint8Array) : concatBytes(read.value)))
    })
  }

  readPiece(index: number, done: Callback<Uint8Array[]>): void {
    this.readRange(pieceOffset(this.m, index), pieceLengthAt(this.m, index), done)
  }

  /**
   * fsyncs every file a write completed on since the last call began: after a successful
   * `done`, every block whose write had completed when this was called is on stable storage.
   */
  syncWritten(done: Callback<void>): void {
    callLater(this.defer, (d) => this.files.syncDirty(this.limits.metadataOpsInFlightMax, d), done)
  }

  /**
   * Puts a piece just verified into the upload cache as the very bytes its hash was computed
   * over (the blocks as received): serving them needs no read and no second hash. The caller
   * must never modify them again.
   */
  offerVerified(index: number, parts: PieceParts): void {
    const pieceBytes = pieceLengthAt(this.m, index)
    if (pieceBytes > this.limits.readCachePieceBytesMax || this.limits.readCacheBytesMax <= 0)
      return
    this.cache.offer(index, parts)
  }

  /** Drops a piece from the upload cache: its data was found bad or missing. */
  forgetCached(index: number): void {
    this.cache.forget(index)
  }

  /** Upload cache counters, for metrics. */
  get readCache(): { readonly hits: number; readonly misses: number; readonly bytes: number } {
    return { hits: this.cache.hits, misses: this.cache.misses, bytes: this.cache.bytesHeld }
  }

  /** Marks a file as needing an fsync at the next `syncWritten` (data we did not write). */
  markWritten(fileIndex: number): void {
    // BEP 47 padding files are never written, so there is nothing to fsync (or to open).
    if (this.m.files[fileIndex]?.pad === true) return
    this.files.markDirty(fileIndex)
  }

  /**
   * Creates the torrent's empty files (with their folder chains), which no block ever touches:
   * a download is complete only when every file is on disk. Files whose priority is 0 are
   * left alone. Existing files are kept as they are.
   */
  createEmptyFiles(priorities: readonly number[] | undefined, done: Callback<void>): void {
    const wanted = (i: number): boolean => (priorities?.[i] ?? 1) > 0
    const empty = this.m.files.flatMap((f, i) => (!f.pad && f.length === 0 && wanted(i) ? [i] : []))
    const inFlightMax = this.limits.metadataOpsInFlightMax
    // Only missing ones are opened: a seed's data may be read-only.
    statFiles(this.disk, this.m, this.paths, inFlightMax, (sizes) => {
      if (!sizes.ok) return done(sizes)
      const missing = empty.filter((i) => sizes.value[i] === undefined)
      this.files.create(missing, inFlightMax, done)
    })
  }

  /** The files a write completed on since the last call, which their recorded mtime misses. */
  takeChangedFiles(): number[] {
    const files = [...this.changedFiles]
    this.changedFiles.clear()
    return files
  }

  /** Puts a file back among the changed ones (its stat failed; the next checkpoint retries). */
  noteChanged(fileIndex: number): void {
    this.changedFiles.add(fileIndex)
  }

  /** Calls `done` (on a later turn) once no accepted write is queued or in flight. */
  whenWritten(done: () => void): void {
    if (this.queue.inFlight === 0 && this.queue.waiting === 0) return this.defer(done)
    this.writtenWaiters.push(done)
  }

  /** Lets accepted writes finish, then closes every file. Do not call other methods after. */
  close(done: Callback<void>): void {
    this.closeWaiters ??= []
    this.closeWaiters.push(done)
    this.closeWhenIdle()
  }

  private closeWhenIdle(): void {
    if (this.closeWaiters === undefined || this.closing) return
    if (this.queue.inFlight > 0 || this.queue.waiting > 0) return
    this.closing = true
    callLater<void>(
      this.defer,
      (d) => this.files.closeAll(d),
      (closed) => {
        // Later `close` calls find the handles closed already and succeed.
        this.closing = false
        const waiters = this.closeWaiters ?? []
        this.closeWaiters = []
        waiters.forEach((waiter) => waiter(closed))
      },
    )
  }

  private readRange(offset: number, length: number, done: Callback<Uint8Array[]>): void {
    const { files, m } = this
    const start = (d: Callback<Uint8Array[]>): void =>
      readRange(m, files, this.limits.readsInFlightMax, { offset, length }, d)
    callLater(this.defer, start, done)
  }

  private pump(): void {
    for (;;) {
      if (this.queue.inFlight >= this.limits.writesInFlightMax) return
      const write = this.queue.next()
      if (write === undefined) return
      this.issue(write)
    }
  }

  /** Writes a run's file segments (pad segments skipped); its blocks complete together. */
  private issue(run: QueuedRun): void {
    const segments = filesInRange(this.m, run.offset, run.length)
    const real = segments.filter((segment) => !this.m.files[segment.fileIndex]?.pad)
    if (real.length === 0) return this.defer(() => this.finish(run, undefined))
    let remaining = real.length
    let failure: OperationalError | undefined
    const parts = new PartCursor(run)
    for (const segment of segments) {
      const views = parts.take(segment.length)
      if (this.m.files[segment.fileIndex]?.pad) continue
      this.writeSegment(segment, views, (written) => {
        if (!written.ok) failure ??= written.error
        if (--remaining === 0) this.finish(run, failure)
      })
    }
  }

  private writeSegment(segment: FileSegment, views: Uint8Array[], done: Callback<void>): void {
    this.files.acquire(segment.fileIndex, true, (opened) => {
      if (!opened.ok) return done(opened)
      const after: Callback<void> = (written) => {
        if (written.ok) {
          this.files.markDirty(segment.fileIndex)
          this.changedFiles.add(segment.fileIndex)
        }
        done(written)
      }
      const file = opened.value
      if (views.length === 1) file.write(segment.fileOffset, views[0] as Uint8Array, after)
      else file.writev(segment.fileOffset, views, after)
    })
  }

  private finish(run: QueuedRun, failure: OperationalError | undefined): void {
    this.queue.complete(run)
    if (failure !== undefined) {
      this.failure ??= failure
      const error = this.failure
      for (let queued = this.queue.next(); queued !== undefined; queued = this.queue.next()) {
        this.queue.complete(queued)
        for (const block of queued.blocks) block.done(err(error))
      }
    }
    this.pump()
    const result = failure === undefined ? ok(undefined) : err(failure)
    for (const block of run.blocks) block.done(result)
    if (this.queue.inFlight === 0 && this.queue.waiting === 0) {
      for (const waiter of this.writtenWaiters.splice(0)) waiter()
    }
    this.closeWhenIdle()
  }
}

/** Walks a run's blocks as one byte sequence, cutting views at file boundaries. */
class PartCursor {
  private block = 0
  private within = 0

  constructor(private readonly run: QueuedRun) {}

  /** Views over the next `length` bytes of the run (no copies). */
  take(length: number): Uint8Array[] {
    const views: Uint8Array[] = []
    let left = length
    while (left > 0) {
      const bytes = (this.run.blocks[this.block] as { bytes: Uint8Array }).bytes
      const count = Math.min(left, bytes.length - this.within)
      views.push(count === bytes.length ? bytes : bytes.subarray(this.within, this.within + count))
      left -= count
      this.within += count
      if (this.within === bytes.length) {
        this.block++
        this.within = 0
      }
    }
    return views
  }
}

function checkBlock(m: Metainfo, index: number, begin: number, length: number): void {
  const pieceBytes = pieceLengthAt(m, index)
  assert(
    Number.isSafeInteger(begin) && begin >= 0 && length > 0 && begin + length <= pieceBytes,
    `block ${begin}+${length} outside piece ${index} of ${pieceBytes} bytes`,
  )
}

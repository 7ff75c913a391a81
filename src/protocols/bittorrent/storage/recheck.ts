/**
 * Full re-verification of what is on disk, for when resume data is missing or rejected (or
 * the user asks): every piece whose bytes are all present (each file exists and is long
 * enough) is read back and hashed; the result is exactly the pieces that hash correctly.
 *
 * Reads go in piece order, as sequential as the layout allows, and run ahead of the hashing
 * by at most `bytesInFlightMax` (at least one piece), so memory stays bounded whatever the
 * torrent's size. Progress is reported after every piece. Absent data ('not_found', a file
 * that ends early) means "not verified"; any other read error stops the recheck with it.
 */
import type { Callback, Disk } from '../../../core/env.js'
import { OperationalError } from '../../../core/errors.js'
import { err, ok } from '../../../core/result.js'
import { filesInRange, pieceLengthAt, pieceOffset } from '../metainfo/index.js'
import type { Metainfo } from '../metainfo/index.js'
import { Bitfield } from '../picker/bitfield.js'
import { filePaths, statFiles } from './file-paths.js'
import { DEFAULT_STORAGE_LIMITS } from './limits.js'
import { checkPiece } from './piece-check.js'
import type { PieceHashing } from './piece-hashing.js'
import type { PieceReader } from './piece-store.js'

export interface RecheckProgress {
  /** Pieces decided so far (verified, failed or absent). */
  readonly checked: number
  /** Pieces to decide in all. */
  readonly total: number
  readonly verified: number
  readonly bytesRead: number
}

export interface RecheckOptions {
  readonly metainfo: Metainfo
  readonly disk: Disk
  readonly saveDir: string
  readonly reader: PieceReader
  readonly hashing: PieceHashing
  /** Only these pieces (e.g. those the resume data does not claim); all when absent. */
  readonly pieces?: Bitfield
  readonly bytesInFlightMax?: number
  readonly statsInFlightMax?: number
  readonly onProgress?: (progress: RecheckProgress) => void
}

export interface RecheckHandle {
  /** Stops starting reads; `done` then fails with 'closed' once the reads in flight end. */
  cancel(): void
}

/** Rechecks the torrent's data; `done` gets the pieces that verified (among those asked). */
export function recheck(options: RecheckOptions, done: Callback<Bitfield>): RecheckHandle {
  const { metainfo: m, disk, saveDir } = options
  const limits = DEFAULT_STORAGE_LIMITS
  const statsMax = options.statsInFlightMax ?? limits.metadataOpsInFlightMax
  const run = new RecheckRun(options, options.bytesInFlightMax ?? limits.recheckBytesInFlightMax)
  statFiles(disk, m, filePaths(saveDir, m), statsMax, (sizes) => {
    if (!sizes.ok) return done(sizes)
    run.start(sizes.value, done)
  })
  return { cancel: () => run.cancel() }
}

class RecheckRun {
  private readonly m: Metainfo
  private readonly verified: Bitfield
  private sizes: readonly (number | undefined)[] = []
  private done: Callback<Bitfield> | undefined
  private next = 0
  private inFlight = 0
  private inFlightBytes = 0
  private checked = 0
  private bytesRead = 0
  private readonly total: number
  private failure: OperationalError | undefined

  constructor(
    private readonly options: RecheckOptions,
    private readonly bytesInFlightMax: number,
  ) {
    this.m = options.metainfo
    this.verified = new Bitfield(this.m.pieceCount)
    this.total = options.pieces?.count ?? this.m.pieceCount
  }

  start(sizes: readonly (number | undefined)[], done: Callback<Bitfield>): void {
    this.sizes = sizes
    this.done = done
    this.pump()
  }

  cancel(): void {
    this.failure ??= new OperationalError('closed', 'recheck cancelled')
    this.finishIfIdle()
  }

  private pump(): void {
    const wanted = this.options.pieces
    while (this.failure === undefined && this.next < this.m.pieceCount) {
      const index = this.next
      if (wanted !== undefined && !wanted.get(index)) {
        this.next++
        continue
      }
      if (!this.present(index)) {
        this.next++
        this.decided()
        continue
      }
      const length = pieceLengthAt(this.m, index)
      if (this.inFlight > 0 && this.inFlightBytes + length > this.bytesInFlightMax) return
      this.next++
      this.inFlight++
      this.inFlightBytes += length
      this.check(index, () => {
        this.inFlight--
        this.inFlightBytes -= length
        this.decided()
        this.pump()
      })
    }
    this.finishIfIdle()
  }

  /** Reads and hashes one piece, recording it when it verifies. */
  private check(index: number, finished: () => void): void {
    const { reader, hashing } = this.options
    reader.readPiece(index, (read) => {
      if (!read.ok) {
        if (read.error.code !== 'not_found') this.failure ??= read.error
        return finished()
      }
      for (const part of read.value) this.bytesRead += part.length
      checkPiece(this.m, hashing, index, read.value, (matched) => {
        if (!matched.ok) this.failure ??= matched.error
        else if (matched.value) this.verified.set(index)
        finished()
      })
    })
  }

  /** Whether every non-pad byte of the piece is inside an existing file. */
  private present(index: number): boolean {
    const segments = filesInRange(this.m, pieceOffset(this.m, index), pieceLengthAt(this.m, index))
    return segments.every((segment) => {
      if (this.m.files[segment.fileIndex]?.pad) return true
      const size = this.sizes[segment.fileIndex]
      return size !== undefined && size >= segment.fileOffset + segment.length
    })
  }

  private decided(): void {
    this.checked++
    const { checked, total, bytesRead } = this
    this.options.onProgress?.({ checked, total, verified: this.verified.count, bytesRead })
  }

  private finishIfIdle(): void {
    const done = this.done
    if (done === undefined || this.inFlight > 0) return
    if (this.failure === undefined && this.next < this.m.pieceCount) return
    this.done = undefined
    done(this.failure === undefined ? ok(this.verified) : err(this.failure))
  }
}

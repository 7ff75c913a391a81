/**
 * One torrent's storage, as the swarm core sees it: blocks in, verdicts out, checkpoints of
 * resume data. It composes the store (disk I/O), the verifier (hashing), and the resume
 * writer, and owns the two piece sets that the durability argument rests on.
 *
 * Durability (what a SIGKILL or a power loss at any moment can cost):
 * - `verified`: pieces whose hash matched. Only these are advertised, served or counted in
 *   `completedFiles()`. A piece is verified only after all of its block writes completed.
 * - `synced`: the verified pieces whose data is known to be on stable storage. Resume data
 *   lists exactly these, never merely verified ones.
 * A checkpoint runs, one at a time (ResumeWriter): take the pieces verified since the last
 * claim; fsync every file a write completed on since the last sync began (their writes
 * completed before they were verified, so the fsync covers them); only then add them to
 * `synced` and replace the resume file atomically (temp, fsync, rename, directory fsync).
 * Order: write blocks -> verify -> checkpoint: sync touched files -> atomic resume write.
 * So a resume file, old or new, only claims pieces whose bytes were durable before it was
 * written, and a crash loses at most the pieces verified or in flight since the last
 * checkpoint. On restart they are absent from the resume data: the caller downloads them
 * again, or passes `recheck` a `pieces` set of the unclaimed pieces to find them on disk.
 * Pieces a recheck found start out unsynced (they may exist only in the page cache) and
 * their files are fsynced by the first checkpoint before any resume data claims them.
 */
import type { Callback, Disk } from '../../../core/env.js'
import { assert, OperationalError } from '../../../core/errors.js'
import { err, ok } from '../../../core/result.js'
import { concatBytes } from '../../../core/bytes.js'
import { blockHashes, type Sha256Hashing } from '../merkle/index.js'
import {
  filesInRange,
  pieceLengthAt,
  pieceOffset,
  v2PieceOf,
  type Metainfo,
} from '../metainfo/index.js'
import { Bitfield } from '../picker/bitfield.js'
import type { Defer } from './callbacks.js'
import { completedFiles } from './completed-files.js'
import { statFileStates, type FileState } from './file-paths.js'
import type { StorageLimits } from './limits.js'
import { checkPiece, leading, pieceCheckable, recheckVerifiedPiece } from './piece-check.js'
import type { PieceHashing } from './piece-hashing.js'
import { PieceStore, type WriteOutcome } from './piece-store.js'
import { encodeResume } from './resume-codec.js'
import { ResumeWriter, type AtomicWrite } from './resume-writer.js'
import { PieceVerifier, type VerifyOutcome } from './verifier.js'

/** Where and how checkpoints record resume data (a state folder, never the save directory). */
export interface ResumeTarget {
  /** The Disk of the state folder. */
  readonly disk: Disk
  /** The resume file on it (`resumePath(dir, metainfo)`). */
  readonly path: string
  /** `writeFileAtomic` bound to that Disk (drivers/disk-atomic.ts). */
  readonly writeAtomic: AtomicWrite
}

export interface TorrentStorageOptions {
  readonly disk: Disk
  readonly metainfo: Metainfo
  readonly saveDir: string
  readonly defer: Defer
  readonly hashing: PieceHashing
  /** Without it checkpoints only make the verified pieces durable; nothing records them. */
  readonly resume?: ResumeTarget
  /** Pieces known good at start, and where that knowledge came from. */
  readonly initial?: { readonly verified: Bitfield; readonly source: 'resume' | 'recheck' }
  /**
   * A verified piece read for uploading no longer matched its hash (the file was edited
   * while we ran): it is withdrawn (`hasPiece` is false) and never served.
   */
  readonly onPieceChanged?: (index: number) => void
  readonly limits?: Partial<StorageLimits>
}

/** `WriteOutcome`, or 'duplicate': the block was received before and is not written again. */
export type BlockWriteOutcome = WriteOutcome | 'duplicate'

export class TorrentStorage {
  readonly store: PieceStore
  private readonly m: Metainfo
  private readonly verifier: PieceVerifier
  private readonly verified: Bitfield
  private readonly synced: Bitfield
  /**
   * Verified pieces whose every hash (both of a hybrid's) matched in this process: a recheck,
   * a download, or a full upload check. Pieces known only from resume data are not, until
   * their first upload check; see `checkUpload`.
   */
  private readonly fullyChecked: Bitfield
  /** Verified pieces not yet claimed by a checkpoint. */
  private unclaimed: number[] = []
  /** Block writes not yet completed, per piece: a piece is verified only at zero. */
  private readonly writing = new Map<number, number>()
  private readonly resume: ResumeWriter | undefined
  /** Every file as the last checkpoint recorded it; undefined before the first. */
  private fileStates: (FileState | undefined)[] | undefined

  constructor(private readonly options: TorrentStorageOptions) {
    const m = (this.m = options.metainfo)
    this.store = new PieceStore({
      ...options,
      checkUpload: (index, bytes, done) => this.checkUpload(index, bytes, done),
    })
    this.verifier = new PieceVerifier({
      metainfo: m,
      reader: this.store,
      hashing: options.hashing,
      bufferBytesMax: this.store.limits.pieceBufferBytesMax,
      // Served from these very bytes, a piece just downloaded is not read and hashed again.
      onVerifiedBytes: (index, parts) => this.store.offerVerified(index, parts),
    })
    this.verified = options.initial?.verified.copy() ?? new Bitfield(m.pieceCount)
    assert(this.verified.length === m.pieceCount, 'initial pieces do not fit the torrent')
    const fromResume = options.initial?.source === 'resume'
    this.fullyChecked = fromResume ? new Bitfield(m.pieceCount) : this.verified.copy()
    this.synced = fromResume ? this.verified.copy() : new Bitfield(m.pieceCount)
    if (!fromResume) this.claimLater([...this.verified.ones()])
    const target = options.resume
    this.resume =
      target === undefined
        ? undefined
        : new ResumeWriter({
            disk: target.disk,
            path: target.path,
            writeAtomic: target.writeAtomic,
            prepare: (done) => this.prepareCheckpoint(done),
          })
  }

  /**
   * Stores a block of piece `index`. Never modify `bytes` afterwards: once the piece verifies,
   * its blocks as received serve uploads (the upload cache). Only a 'queued' block has `done`
   * called; check `isBackedUp()` before requesting more.
   */
  writeBlock(
    index: number,
    begin: number,
    bytes: Uint8Array,
    done: Callback<void>,
  ): BlockWriteOutcome {
    if (this.verified.get(index) || this.verifier.hasBlock(index, begin)) return 'duplicate'
    const outcome = this.store.writeBlock(index, begin, bytes, (written) => {
      const left = (this.writing.get(index) ?? 1) - 1
      if (left === 0) this.writing.delete(index)
      else this.writing.set(index, left)
      // What memory holds is no longer what the disk holds: verify from the disk's truth.
      if (!written.ok) this.verifier.forget(index)
      done(written)
    })
    if (outcome !== 'queued') return outcome
    this.writing.set(index, (this.writing.get(index) ?? 0) + 1)
    this.verifier.noteBlock(index, begin, bytes)
    return outcome
  }

  /** Verifies piece `index` once all of its block writes completed successfully. */
  verifyPiece(index: number, done: Callback<VerifyOutcome>): void {
    assert(!this.writing.has(index), `piece ${index} verified with writes in flight`)
    assert(!this.verified.get(index), `piece ${index} is verified already`)
    this.verifier.verify(index, (result) => {
      if (result.ok && result.value === 'verified' && this.verified.set(index)) {
        this.fullyChecked.set(index)
        this.unclaimed.push(index)
      }
      done(result)
    })
  }

  /** Forgets the blocks received for an unverified piece (the picker will request it anew). */
  resetPiece(index: number): void {
    this.verifier.forget(index)
  }

  /** Withdraws a verified piece whose data turned out bad or missing (e.g. a failed read). */
  unverifyPiece(index: number): void {
    this.verified.clear(index)
    this.synced.clear(index)
    this.fullyChecked.clear(index)
    this.store.forgetCached(index)
  }

  hasPiece(index: number): boolean {
    return this.verified.get(index)
  }

  /** A copy of the verified pieces (what the swarm advertises). */
  verifiedPieces(): Bitfield {
    return this.verified.copy()
  }

  /** A copy of the pieces that resume data may claim. */
  syncedPieces(): Bitfield {
    return this.synced.copy()
  }

  completedFiles(): number[] {
    return completedFiles(this.m, this.verified)
  }

  /**
   * Reads a block of a verified piece, for uploading. A piece that is not verified (never was,
   * or was withdrawn after its data changed on disk) is refused with 'not_found'.
   */
  readBlock(index: number, begin: number, length: number, done: Callback<Uint8Array>): void {
    if (!this.verified.get(index)) {
      const refused = new OperationalError('not_found', `piece ${index} is not verified`)
      return this.options.defer(() => done(err(refused)))
    }
    this.store.readBlock(index, begin, length, done)
  }

  /**
   * BEP 52: the SHA-256 of each 16 KiB block of the file's bytes in piece `index` as stored,
   * verified or not (a failed piece is read back to find its bad blocks; a verified one to
   * answer a peer's block-hash request). Hashed on the calling thread: both are rare.
   */
  blockHashes(index: number, hashing: Sha256Hashing, done: Callback<Uint8Array[]>): void {
    const v2 = this.m.version === 'v1' ? undefined : v2PieceOf(this.m, index)
    if (v2 === undefined) {
      const refused = new OperationalError('not_found', `piece ${index} has no v2 blocks`)
      return this.options.defer(() => done(err(refused)))
    }
    this.store.readPiece(index, (read) => {
      if (!read.ok) return done(read)
      done(ok(blockHashes(concatBytes(leading(read.value, v2.dataLength)), hashing)))
    })
  }

  isBackedUp(): boolean {
    return this.store.isBackedUp()
  }

  get error(): OperationalError | undefined {
    return this.store.error
  }

  /** Makes the verified pieces durable and records them in the resume file (coalesced). */
  checkpoint(done: Callback<void>): void {
    if (this.resume !== undefined) return this.resume.request(done)
    this.syncAndClaim((claimed) => done(claimed.ok ? ok(undefined) : claimed))
  }

  /** Creates the empty files (and their folders) that no block ever touches; see PieceStore. */
  createEmptyFiles(priorities: readonly number[] | undefined, done: Callback<void>): void {
    this.store.createEmptyFiles(priorities, done)
  }

  /**
   * Once accepted writes are done (so the files' recorded mtimes are final), a last
   * checkpoint, then closes the files; the first error is reported.
   */
  close(done: Callback<void>): void {
    this.store.whenWritten(() =>
      this.checkpoint((checkpointed) =>
        this.store.close((closed) => done(checkpointed.ok ? closed : checkpointed)),
      ),
    )
  }

  /** fsyncs the files written since the last claim, then adds the pieces then verified. */
  private syncAndClaim(done: Callback<void>): void {
    const claim = this.unclaimed
    this.unclaimed = []
    this.store.syncWritten((synced) => {
      if (!synced.ok) {
        this.unclaimed = claim.concat(this.unclaimed)
        return done(err(synced.error))
      }
      for (const index of claim) if (this.verified.get(index)) this.synced.set(index)
      done(ok(undefined))
    })
  }

  /**
   * The resume bytes: the synced pieces, and each file's size and mtime taken after the sync
   * (a later write to a file only makes a later start recheck that file's pieces). The first
   * checkpoint stats every file; later ones only those a write completed on since the last
   * stat, so a torrent of many files is not stat-ed whole every 64 pieces.
   */
  private prepareCheckpoint(done: Callback<Uint8Array>): void {
    this.syncAndClaim((claimed) => {
      if (!claimed.ok) return done(claimed)
      const limit = this.store.limits.metadataOpsInFlightMax
      const changed = this.store.takeChangedFiles()
      const previous = this.fileStates
      const only = previous === undefined ? undefined : { files: changed, previous }
      const { disk } = this.options
      statFileStates(
        disk,
        this.m,
        this.store.paths,
        limit,
        (files) => {
          if (!files.ok) {
            for (const file of changed) this.store.noteChanged(file)
            return done(files)
          }
          this.fileStates = files.value
          done(ok(encodeResume(this.m, { pieces: this.synced, files: files.value })))
        },
        only,
      )
    })
  }

  /**
   * Hashes a verified piece read back for the upload cache: the file may have been edited
   * since it was verified, and a seed must never serve bytes it has not verified now.
   *
   * A piece whose every hash matched in this process needs only one hash to show that its
   * bytes did not change (`recheckVerifiedPiece`: a hybrid's SHA-1 alone, half the hashing of
   * a seed). A piece known only from resume data gets the full check once (resume data of an
   * older version may have trusted a hybrid's SHA-1 alone), and one hash after that.
   */
  private checkUpload(index: number, bytes: Uint8Array, done: Callback<boolean>): void {
    // A v2 piece whose layer is still being fetched was verified before (resume data): serve
    // it on that word rather than withdraw it for want of a hash to compare with.
    if (!pieceCheckable(this.m, index)) return this.options.defer(() => done(ok(true)))
    const full = !this.fullyChecked.get(index)
    const check = full ? checkPiece : recheckVerifiedPiece
    check(this.m, this.options.hashing, index, [bytes], (matched) => {
      if (!matched.ok) return done(matched)
      const good = matched.value
      if (good && full && this.verified.get(index)) this.fullyChecked.set(index)
      if (!good && this.verified.get(index)) {
        this.unverifyPiece(index)
        this.options.onPieceChanged?.(index)
      }
      done(ok(good))
    })
  }

  /** Queues pieces for the next claim, marking their files as needing an fsync first. */
  private claimLater(pieces: readonly number[]): void {
    for (const index of pieces) {
      const range = filesInRange(this.m, pieceOffset(this.m, index), pieceLengthAt(this.m, index))
      for (const segment of range) this.store.markWritten(segment.fileIndex)
      this.unclaimed.push(index)
    }
  }
}

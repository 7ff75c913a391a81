import type { Clock, Hashing, Log } from '../../core/env.js'
import type { OperationalError } from '../../core/errors.js'
import type { Instant } from '../../core/time.js'
import type { TorrentStorage } from '../../protocols/bittorrent/storage/index.js'
import type { SwarmCore, SwarmEvent } from '../../protocols/bittorrent/swarm/index.js'
import type { FatalCode, SessionEvent } from './session-events.js'

/** Verified pieces between resume checkpoints (also written on completion and close). */
const CHECKPOINT_EVERY_PIECES = 64

export interface StorageRequestsOptions {
  readonly storage: TorrentStorage
  readonly swarm: SwarmCore
  readonly clock: Clock
  /** SHA-256 of a piece's 16 KiB blocks, for BEP 52 hash requests. */
  readonly hashing: Hashing
  readonly log: Log
  readonly defer: (fn: () => void) => void
  /** Runs the swarm core's outputs (attach-stream's `flush`). */
  readonly flush: () => void
  readonly onEvent?: ((event: SessionEvent) => void) | undefined
}

/**
 * The swarm core does no I/O: it asks for blocks to be written and read and for pieces to be
 * verified, and takes the answers as inputs. This answers those requests from the torrent's
 * storage, writes resume checkpoints as pieces verify, and reports the first storage failure
 * that retrying will not fix.
 */
export class StorageRequests {
  private checkpointPieces = 0
  /** A flush is scheduled (`flushSoon`). */
  private flushPending = false
  private fatalSent = false

  constructor(private readonly options: StorageRequestsOptions) {}

  /** Answers `event` if it is a storage request (true), or leaves it to the caller (false). */
  handle(event: SwarmEvent): boolean {
    const { storage, swarm } = this.options
    switch (event.type) {
      case 'write_block':
        this.writeBlock(event.piece, event.begin, event.bytes)
        return true
      case 'read_block':
        storage.readBlock(event.piece, event.begin, event.length, (read) => {
          swarm.blockRead(this.now(), event.requestKey, read.ok ? read.value : undefined)
          this.flushSoon()
        })
        return true
      case 'verify_piece':
        storage.verifyPiece(event.piece, (outcome) => {
          const good = outcome.ok && outcome.value === 'verified'
          if (!good) storage.resetPiece(event.piece)
          swarm.pieceVerified(this.now(), event.piece, good)
          this.options.flush()
          if (good && ++this.checkpointPieces >= CHECKPOINT_EVERY_PIECES) this.checkpoint()
        })
        return true
      case 'hash_blocks':
        storage.blockHashes(event.piece, this.options.hashing, (read) => {
          swarm.pieceBlockHashes(this.now(), event.piece, read.ok ? read.value : undefined)
          this.options.flush()
        })
        return true
      default:
        return false
    }
  }

  /** Makes the verified pieces durable and records them in the resume data. */
  checkpoint(): void {
    this.checkpointPieces = 0
    this.options.storage.checkpoint((written) => {
      if (!written.ok) {
        this.options.log.log('warn', 'resume checkpoint failed', { error: written.error.message })
        return this.fatal(written.error)
      }
      const durablePieces = this.options.storage.syncedPieces().count
      this.options.onEvent?.({ type: 'checkpointed', durablePieces })
    })
  }

  private now(): Instant {
    return this.options.clock.now()
  }

  private writeBlock(piece: number, begin: number, bytes: Uint8Array): void {
    const { storage, swarm, defer, flush } = this.options
    const outcome = storage.writeBlock(piece, begin, bytes, (written) => {
      if (written.ok) swarm.blockWritten(this.now(), piece, begin, bytes.length)
      else {
        swarm.blockWriteFailed(this.now(), piece, begin, bytes.length, written.error.message)
        // The store is now errored (every later write is refused): the download cannot go on.
        this.fatal(written.error)
      }
      this.flushSoon()
    })
    if (outcome === 'queued') return
    if (outcome === 'duplicate') {
      defer(() => {
        swarm.blockWritten(this.now(), piece, begin, bytes.length)
        flush()
      })
      return
    }
    const message =
      outcome === 'backlog_full' ? 'the disk cannot keep up (write backlog full)' : 'storage error'
    defer(() => {
      swarm.blockWriteFailed(this.now(), piece, begin, bytes.length, message)
      flush()
    })
  }

  /**
   * One flush for every storage answer of this turn. Block reads and writes complete one
   * callback each (a cached piece answers all its reads in one turn of the event loop), and a
   * flush per callback sent each block in a writev of its own: one system call and one pass
   * through the loopback stack per 16 KiB. Deferred, the blocks answered in one turn leave
   * together (attach-stream corks a socket for the whole flush).
   */
  private flushSoon(): void {
    if (this.flushPending) return
    this.flushPending = true
    this.options.defer(() => {
      this.flushPending = false
      this.options.flush()
    })
  }

  /** Reports the first storage failure that retrying will not fix. */
  private fatal(error: OperationalError): void {
    if (this.fatalSent || error.code === 'closed') return
    this.fatalSent = true
    const code: FatalCode =
      error.code === 'no_space' || error.code === 'permission' || error.code === 'invalid_path'
        ? error.code
        : 'io'
    this.options.onEvent?.({ type: 'fatal', code, message: error.message })
  }
}

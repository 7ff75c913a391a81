/**
 * Bounds of the storage layer, each named and overridable per torrent. The defaults aim at one
 * torrent moving about 1 GB/s on a local SSD without pinning more than about 100 MiB of memory.
 */
export interface StorageLimits {
  /**
   * Open file handles per torrent; the least recently used one is closed past this. A torrent
   * of 10,000 small files must not exhaust the process's descriptors (often 1024).
   */
  readonly openFilesMax: number
  /**
   * Block writes handed to the Disk at once; more wait in the store's queue. The Node disk runs
   * them on libuv's thread pool (4 threads by default), so a deeper queue adds only latency;
   * and blocks that wait are merged into larger writes, so a shallow one costs nothing.
   */
  readonly writesInFlightMax: number
  /**
   * Adjacent waiting blocks are merged into one vectored write up to this many bytes and
   * blocks (see write-queue.ts).
   */
  readonly writeRunBytesMax: number
  readonly writeRunBlocksMax: number
  /** Bytes accepted but not yet written at which `isBackedUp()` asks the swarm to stop. */
  readonly writeBacklogBytesHigh: number
  /**
   * Bytes accepted but not yet written past which `writeBlock` refuses blocks: the swarm kept
   * requesting although the store said it was backed up, and memory must stay bounded.
   */
  readonly writeBacklogBytesMax: number
  /**
   * Memory for the received blocks of in-progress pieces, kept so a piece is hashed without
   * reading it back. Past it, pieces are verified by reading them from disk.
   */
  readonly pieceBufferBytesMax: number
  /** Memory for whole verified pieces kept to answer upload requests (read-cache.ts). */
  readonly readCacheBytesMax: number
  /** Pieces longer than this are read block by block instead of cached whole. */
  readonly readCachePieceBytesMax: number
  /** Segment reads started at once by one `readPiece` (a piece may span many small files). */
  readonly readsInFlightMax: number
  /** fsyncs and stats started at once by a checkpoint, a resume check or a recheck. */
  readonly metadataOpsInFlightMax: number
  /** Bytes a recheck reads ahead of its hashing; one piece is always allowed. */
  readonly recheckBytesInFlightMax: number
}

const MiB = 1024 * 1024

export const DEFAULT_STORAGE_LIMITS: StorageLimits = {
  openFilesMax: 64,
  writesInFlightMax: 4,
  writeRunBytesMax: 4 * MiB,
  writeRunBlocksMax: 256,
  writeBacklogBytesHigh: 16 * MiB,
  writeBacklogBytesMax: 64 * MiB,
  pieceBufferBytesMax: 64 * MiB,
  readCacheBytesMax: 32 * MiB,
  readCachePieceBytesMax: 4 * MiB,
  readsInFlightMax: 8,
  metadataOpsInFlightMax: 8,
  recheckBytesInFlightMax: 32 * MiB,
}

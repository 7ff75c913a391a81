import { assert } from '../../../core/errors.js'
import type { Random } from '../../../core/random.js'
import type { Bitfield } from './bitfield.js'
import { KeyedBuckets } from './buckets.js'

/**
 * Availability and priority of every piece, and the order in which untouched pieces are
 * offered. Availability counts the connected peers that have a piece. Peers that have
 * everything (a full bitfield or BEP 6 `have_all`) are counted once in `seeds` instead of
 * once per piece, as libtorrent does: a seed adds the same amount to every piece, so it
 * changes no order, and connecting one costs O(1) instead of O(pieces).
 *
 * Untouched pieces (no block requested or received, not verified) with a priority above
 * `PRIORITY_SKIP` are members of one `KeyedBuckets` per priority level, keyed by
 * availability. A HAVE is then O(1), and the rarest pieces sit at the front of their level.
 * Pieces leave the structure when their first block is requested (they become partial and
 * are finished first) and come back when a hash failure resets them.
 */
export const PRIORITY_SKIP = 0
export const PRIORITY_LOW = 1
export const PRIORITY_NORMAL = 4
export const PRIORITY_TOP = 7
/** Availability is a Uint16Array: more peers than this on one torrent is a caller bug. */
export const AVAILABILITY_MAX = 0xffff
/** Below one in this many of a level's members, a peer's own bits are walked instead. */
export const SPARSE_SCAN_RATIO = 8

export class PieceOrder {
  private readonly counts: Uint16Array
  private readonly priorities: Uint8Array
  private readonly untouched: Uint8Array
  private readonly levels: (KeyedBuckets | undefined)[] = []
  private readonly seedPeers = new Set<number>()
  /** No member has an index below this: where sequential scans start. */
  private sequentialHint = 0
  private members = 0

  constructor(readonly pieceCount: number) {
    this.counts = new Uint16Array(pieceCount)
    this.priorities = new Uint8Array(pieceCount).fill(PRIORITY_NORMAL)
    this.untouched = new Uint8Array(pieceCount).fill(1)
    const normal = this.level(PRIORITY_NORMAL)
    for (let piece = 0; piece < pieceCount; piece++) normal.insert(piece, 0)
    this.members = pieceCount
  }

  /** Peers that have every piece and are counted here once, not per piece. */
  get seeds(): number {
    return this.seedPeers.size
  }

  /** Untouched wanted pieces: zero means every wanted piece is partial or done. */
  get size(): number {
    return this.members
  }

  availability(piece: number): number {
    return (this.counts[piece] as number) + this.seedPeers.size
  }

  /** Availability without the seeds: the bucket key. */
  partialAvailability(piece: number): number {
    return this.counts[piece] as number
  }

  priority(piece: number): number {
    return this.priorities[piece] as number
  }

  isMember(piece: number): boolean {
    return this.untouched[piece] === 1 && this.priorities[piece] !== PRIORITY_SKIP
  }

  /** The level's buckets (for picking and for the invariant checker), if it has some. */
  levelOf(priority: number): KeyedBuckets | undefined {
    return this.levels[priority]
  }

  peerHasAll(peer: number): void {
    this.seedPeers.add(peer)
  }

  /** Call once per HAVE that sets a new bit in the peer's bitfield. O(1). */
  peerHave(peer: number, piece: number): void {
    if (this.seedPeers.has(peer)) return
    this.bump(piece, +1)
  }

  /** A peer's BITFIELD (or BEP 6 `have_none`, an empty one). O(set bits). */
  peerBitfield(peer: number, has: Bitfield): void {
    if (has.hasAll()) return this.peerHasAll(peer)
    for (let piece = has.nextSet(0); piece !== -1; piece = has.nextSet(piece + 1)) {
      this.bump(piece, +1)
    }
  }

  /** The peer disconnected; `has` is its last known bitfield. O(1) for seeds, else O(bits). */
  peerLeft(peer: number, has: Bitfield): void {
    if (this.seedPeers.delete(peer)) return
    for (let piece = has.nextSet(0); piece !== -1; piece = has.nextSet(piece + 1)) {
      this.bump(piece, -1)
    }
  }

  /** O(keys) when the piece changes level, O(1) otherwise. */
  setPriority(piece: number, priority: number): void {
    assert(Number.isInteger(priority), `bad priority ${priority}`)
    assert(priority >= PRIORITY_SKIP && priority <= PRIORITY_TOP, `bad priority ${priority}`)
    if (this.priorities[piece] === priority) return
    const wasMember = this.isMember(piece)
    if (wasMember) this.leave(piece)
    this.priorities[piece] = priority
    if (this.untouched[piece] === 1 && priority !== PRIORITY_SKIP) this.join(piece)
  }

  /** The piece got its first request (false) or was reset by a hash failure (true). */
  setUntouched(piece: number, untouched: boolean): void {
    if ((this.untouched[piece] === 1) === untouched) return
    if (!untouched && this.isMember(piece)) this.leave(piece)
    this.untouched[piece] = untouched ? 1 : 0
    if (untouched && this.priorities[piece] !== PRIORITY_SKIP) this.join(piece)
  }

  /**
   * The rarest member of `level` that the peer has, ties broken at random: buckets are walked
   * from the rarest, each from a random offset and wrapping around. O(1) expected when the
   * peer has most pieces. When it has few (fewer than 1/SPARSE_SCAN_RATIO of the level), its
   * own bits are walked instead: O(pieces / 8 + its pieces) rather than O(level members).
   */
  findRarest(level: number, has: Bitfield, random: Random): number {
    const buckets = this.levels[level]
    if (buckets === undefined || buckets.size === 0) return -1
    if (has.count * SPARSE_SCAN_RATIO < buckets.size) return this.sparse(level, has, random, true)
    for (let key = 0; key < buckets.keyCount; key++) {
      const begin = buckets.bucketBegin(key)
      const found = scanFrom(buckets, begin, buckets.bucketEnd(key), has, random)
      if (found !== -1) return found
    }
    return -1
  }

  /** A random member of `level` that the peer has (the random-first phase). */
  findRandom(level: number, has: Bitfield, random: Random): number {
    const buckets = this.levels[level]
    if (buckets === undefined || buckets.size === 0) return -1
    if (has.count * SPARSE_SCAN_RATIO < buckets.size) return this.sparse(level, has, random, false)
    return scanFrom(buckets, 0, buckets.size, has, random)
  }

  /**
   * The lowest-index member of `level` below `limit` that the peer has (streaming). O(pieces
   * skipped): members below the first one the peer has are walked every call.
   */
  findFirst(level: number, limit: number, has: Bitfield): number {
    while (this.sequentialHint < this.pieceCount && !this.isMember(this.sequentialHint)) {
      this.sequentialHint++
    }
    for (
      let piece = has.nextSet(this.sequentialHint);
      piece !== -1;
      piece = has.nextSet(piece + 1)
    ) {
      if (piece >= limit) return -1
      if (this.priorities[piece] === level && this.isMember(piece)) return piece
    }
    return -1
  }

  /** Walks the peer's bits; reservoir sampling keeps the tie-break uniform. */
  private sparse(level: number, has: Bitfield, random: Random, rarest: boolean): number {
    let best = -1
    let bestCount = Infinity
    let ties = 0
    for (let piece = has.nextSet(0); piece !== -1; piece = has.nextSet(piece + 1)) {
      if (this.priorities[piece] !== level || !this.isMember(piece)) continue
      const count = rarest ? (this.counts[piece] as number) : 0
      if (count < bestCount) {
        best = piece
        bestCount = count
        ties = 1
      } else if (count === bestCount && random.int(++ties) === 0) {
        best = piece
      }
    }
    return best
  }

  private bump(piece: number, delta: 1 | -1): void {
    const count = this.counts[piece] as number
    assert(
      delta > 0 ? count < AVAILABILITY_MAX : count > 0,
      `availability of ${piece} out of range`,
    )
    if (this.isMember(piece)) {
      const buckets = this.level(this.priorities[piece] as number)
      if (delta > 0) buckets.increment(piece, count)
      else buckets.decrement(piece, count)
    }
    this.counts[piece] = count + delta
  }

  private join(piece: number): void {
    this.level(this.priorities[piece] as number).insert(piece, this.counts[piece] as number)
    this.members++
    if (piece < this.sequentialHint) this.sequentialHint = piece
  }

  private leave(piece: number): void {
    this.level(this.priorities[piece] as number).remove(piece, this.counts[piece] as number)
    this.members--
  }

  private level(priority: number): KeyedBuckets {
    let buckets = this.levels[priority]
    if (buckets === undefined) {
      buckets = new KeyedBuckets(this.pieceCount)
      this.levels[priority] = buckets
    }
    return buckets
  }
}

/** The first member of `[begin, end)` the peer has, from a random offset, wrapping; or -1. */
function scanFrom(
  buckets: KeyedBuckets,
  begin: number,
  end: number,
  has: Bitfield,
  random: Random,
): number {
  const span = end - begin
  if (span <= 0) return -1
  const offset = span === 1 ? 0 : random.int(span)
  for (let i = 0; i < span; i++) {
    const piece = buckets.at(begin + ((offset + i) % span))
    if (has.get(piece)) return piece
  }
  return -1
}

import { assert } from '../../../core/errors.js'

/**
 * Block-level state of one piece that is being downloaded, kept only while the piece is
 * partial or waiting for its hash (libtorrent's `downloading_piece`): untouched and verified
 * pieces need no per-block memory. Each block is missing, requested (by up to `slots` peers
 * at once: one normally, more in endgame), received, or written to storage. The peer that
 * delivered each block is remembered so that a hash failure can name the contributors.
 * Everything lives in typed arrays sized at creation: `requesters` holds `slots` peer ids
 * per block, -1 where empty.
 */
export const BLOCK_MISSING = 0
export const BLOCK_REQUESTED = 1
export const BLOCK_RECEIVED = 2
export const BLOCK_WRITTEN = 3
export type BlockState =
  typeof BLOCK_MISSING | typeof BLOCK_REQUESTED | typeof BLOCK_RECEIVED | typeof BLOCK_WRITTEN

const NOBODY = -1
/** Shared empty result; callers only read it. */
const NONE: readonly number[] = []

export class PartialPiece {
  private readonly states: Uint8Array
  private readonly requesters: Int32Array
  private readonly deliverers: Int32Array
  private missingBlocks: number
  private receivedBlocks = 0
  private writtenBlocks = 0
  /** No missing block has an index below this, so picking scans from here. */
  private cursor = 0

  constructor(
    readonly piece: number,
    readonly blockCount: number,
    readonly slots: number,
  ) {
    this.states = new Uint8Array(blockCount)
    this.requesters = new Int32Array(blockCount * slots).fill(NOBODY)
    this.deliverers = new Int32Array(blockCount).fill(NOBODY)
    this.missingBlocks = blockCount
  }

  /** Blocks nobody has requested and nobody has delivered. */
  get missing(): number {
    return this.missingBlocks
  }

  /** Blocks received or written. */
  get received(): number {
    return this.receivedBlocks
  }

  get written(): number {
    return this.writtenBlocks
  }

  state(index: number): BlockState {
    return this.states[index] as BlockState
  }

  /** The lowest missing block at or after `from`, or -1. Amortised O(1) via the cursor. */
  nextMissing(from = 0): number {
    while (this.cursor < this.blockCount && this.states[this.cursor] !== BLOCK_MISSING) {
      this.cursor++
    }
    for (let index = Math.max(from, this.cursor); index < this.blockCount; index++) {
      if (this.states[index] === BLOCK_MISSING) return index
    }
    return -1
  }

  requesterCount(index: number): number {
    let count = 0
    for (let slot = index * this.slots; slot < (index + 1) * this.slots; slot++) {
      if (this.requesters[slot] !== NOBODY) count++
    }
    return count
  }

  hasRequester(index: number, peer: number): boolean {
    return this.slotOf(index, peer) !== -1
  }

  requestersOf(index: number): number[] {
    const peers: number[] = []
    for (let slot = index * this.slots; slot < (index + 1) * this.slots; slot++) {
      const peer = this.requesters[slot] as number
      if (peer !== NOBODY) peers.push(peer)
    }
    return peers
  }

  /** The peer that delivered a received or written block, or -1. */
  delivererOf(index: number): number {
    return this.deliverers[index] as number
  }

  /** A missing block (or, in endgame, a requested one with a free slot) is requested. */
  addRequester(index: number, peer: number): void {
    const state = this.states[index]
    assert(state === BLOCK_MISSING || state === BLOCK_REQUESTED, `block ${index} not pickable`)
    assert(!this.hasRequester(index, peer), `peer ${peer} already requested block ${index}`)
    const free = this.slotOf(index, NOBODY)
    assert(free !== -1, `block ${index} has no free request slot`)
    this.requesters[free] = peer
    if (state === BLOCK_MISSING) {
      this.states[index] = BLOCK_REQUESTED
      this.missingBlocks--
    }
  }

  /** Drops `peer`'s request; the block is missing again when nobody else asked. */
  removeRequester(index: number, peer: number): boolean {
    const slot = this.slotOf(index, peer)
    if (slot === -1) return false
    this.requesters[slot] = NOBODY
    if (this.states[index] === BLOCK_REQUESTED && this.requesterCount(index) === 0) {
      this.markMissing(index)
    }
    return true
  }

  /**
   * The block arrived from `peer`. Returns the other peers that still had it requested (the
   * core cancels those), after clearing every request for it.
   */
  receive(index: number, peer: number): readonly number[] {
    const state = this.states[index]
    assert(state === BLOCK_MISSING || state === BLOCK_REQUESTED, `block ${index} not expected`)
    // Allocate only when someone else asked too (endgame): this runs for every block.
    let others: number[] | undefined
    for (let slot = index * this.slots; slot < (index + 1) * this.slots; slot++) {
      const other = this.requesters[slot] as number
      if (other === NOBODY) continue
      this.requesters[slot] = NOBODY
      if (other === peer) continue
      others ??= []
      others.push(other)
    }
    if (state === BLOCK_MISSING) this.missingBlocks--
    this.states[index] = BLOCK_RECEIVED
    this.deliverers[index] = peer
    this.receivedBlocks++
    return others ?? NONE
  }

  write(index: number): void {
    assert(this.states[index] === BLOCK_RECEIVED, `block ${index} written but not received`)
    this.states[index] = BLOCK_WRITTEN
    this.writtenBlocks++
  }

  /** Storage could not keep a received block: it is missing again. */
  writeFailed(index: number): void {
    assert(this.states[index] === BLOCK_RECEIVED, `block ${index} failed but not received`)
    this.receivedBlocks--
    this.deliverers[index] = NOBODY
    this.markMissing(index)
  }

  /**
   * A written block turned out bad (BEP 52 block hashes named it after its piece failed): it is
   * missing again, the rest of the piece stays. Returns the peer that delivered it, or -1.
   */
  rewind(index: number): number {
    assert(this.states[index] === BLOCK_WRITTEN, `block ${index} rewound but not written`)
    const deliverer = this.deliverers[index] as number
    this.writtenBlocks--
    this.receivedBlocks--
    this.deliverers[index] = NOBODY
    this.markMissing(index)
    return deliverer
  }

  /** The distinct peers that delivered blocks, ascending. */
  contributors(): number[] {
    const peers = new Set<number>()
    for (const peer of this.deliverers) if (peer !== NOBODY) peers.add(peer)
    return [...peers].sort((a, b) => a - b)
  }

  private markMissing(index: number): void {
    this.states[index] = BLOCK_MISSING
    this.missingBlocks++
    if (index < this.cursor) this.cursor = index
  }

  private slotOf(index: number, peer: number): number {
    for (let slot = index * this.slots; slot < (index + 1) * this.slots; slot++) {
      if (this.requesters[slot] === peer) return slot
    }
    return -1
  }
}

import { assert } from '../../../core/errors.js'

/**
 * Items (piece indices) kept in one array ordered by a small integer key (their availability),
 * after libtorrent's `m_pieces` with its `m_priority_boundaries`. Bucket k holds every member
 * whose key is k and occupies `order[start[k] .. start[k + 1])`. Because availability moves by
 * one at a time, a key change is a single swap with the edge of the bucket: O(1). Inserting
 * or removing walks the boundaries between the key and the top bucket: O(keys above), where
 * the number of keys is bounded by the number of connected peers; trailing empty buckets are
 * trimmed so departed peers do not leave the walk long.
 *
 * The structure does not store keys: callers pass the member's current key, and the
 * invariant checker (`checkPickerConsistency`) verifies every member sits in its bucket.
 */
export class KeyedBuckets {
  private readonly order: Uint32Array
  private readonly pos: Int32Array
  private start = new Uint32Array(16)
  private members = 0
  private keys = 1

  /** `universe`: items are integers in [0, universe). */
  constructor(universe: number) {
    this.order = new Uint32Array(universe)
    this.pos = new Int32Array(universe).fill(-1)
  }

  get size(): number {
    return this.members
  }

  /** Number of buckets; every member's key is below it. */
  get keyCount(): number {
    return this.keys
  }

  has(item: number): boolean {
    return this.pos[item] !== -1
  }

  /** The member at `position` in key order, `position` in [0, size). */
  at(position: number): number {
    return this.order[position] as number
  }

  /** The position of a member (for the invariant checker), or -1. */
  positionOf(item: number): number {
    return this.pos[item] as number
  }

  bucketBegin(key: number): number {
    return key < this.keys ? (this.start[key] as number) : this.members
  }

  bucketEnd(key: number): number {
    return key < this.keys ? (this.start[key + 1] as number) : this.members
  }

  /** Adds `item` with `key`. O(keyCount - key). */
  insert(item: number, key: number): void {
    assert(this.pos[item] === -1, `item ${item} already present`)
    this.ensureKey(key)
    const at = this.members++
    this.order[at] = item
    this.pos[item] = at
    this.start[this.keys] = this.members
    // The new member starts in the top bucket and steps down to its own.
    for (let k = this.keys - 1; k > key; k--) this.moveDown(item, k)
  }

  /** Removes `item`, whose key is `key`. O(keyCount - key). */
  remove(item: number, key: number): void {
    assert(this.pos[item] !== -1, `item ${item} absent`)
    for (let k = key; k < this.keys - 1; k++) this.moveUp(item, k)
    const last = this.members - 1
    this.swap(this.pos[item] as number, last)
    this.members = last
    this.start[this.keys] = last
    this.pos[item] = -1
    this.trim()
  }

  /** `item`'s key goes from `key` to `key + 1`. O(1). */
  increment(item: number, key: number): void {
    this.ensureKey(key + 1)
    this.moveUp(item, key)
  }

  /** `item`'s key goes from `key` to `key - 1`. O(1). */
  decrement(item: number, key: number): void {
    assert(key > 0, `cannot decrement item ${item} below key 0`)
    this.moveDown(item, key)
    this.trim()
  }

  /** Swap with the last member of bucket `key`, then shrink that bucket past it. */
  private moveUp(item: number, key: number): void {
    const last = (this.start[key + 1] as number) - 1
    this.swap(this.pos[item] as number, last)
    this.start[key + 1] = last
  }

  /** Swap with the first member of bucket `key`, then start that bucket after it. */
  private moveDown(item: number, key: number): void {
    const first = this.start[key] as number
    this.swap(this.pos[item] as number, first)
    this.start[key] = first + 1
  }

  private swap(a: number, b: number): void {
    if (a === b) return
    const itemA = this.order[a] as number
    const itemB = this.order[b] as number
    this.order[a] = itemB
    this.order[b] = itemA
    this.pos[itemB] = a
    this.pos[itemA] = b
  }

  private ensureKey(key: number): void {
    while (this.keys <= key) {
      if (this.keys + 2 > this.start.length) {
        const grown = new Uint32Array(this.start.length * 2)
        grown.set(this.start)
        this.start = grown
      }
      this.keys++
      this.start[this.keys] = this.members
    }
  }

  private trim(): void {
    while (this.keys > 1 && this.start[this.keys - 1] === this.members) this.keys--
  }
}

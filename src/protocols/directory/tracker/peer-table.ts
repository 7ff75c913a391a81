/**
 * One swarm's peers of one address family, with no object per peer. Records live in parallel
 * typed arrays (struct of arrays); a record is
 *
 *   peer id (20) | compact address: IP + port, network order (6 for IPv4, 18 for IPv6)
 *   | expiry deadline in whole seconds (uint32) | flags (1)
 *
 * so 31 bytes for IPv4 and 43 for IPv6, plus 8 bytes of index (an Int32Array of 2 slots per
 * record capacity, linear probing, holding record + 1 with 0 for empty). Capacity doubles and
 * halves, so up to 2x slack in the worst case.
 *
 * A peer is identified by (peer id, address): over TCP and BEP 15 the address is proven, so a
 * stranger who learns a peer id cannot stop or rewrite that peer's entry from elsewhere.
 *
 * Records are partitioned: leechers in [0, leechers), seeders in [leechers, size). A seeder's
 * answer then samples leechers only, uniformly, without scanning.
 */
export const PEER_ID_BYTES = 20

/** Flag bit: this entry's `completed` event has been counted (count once per peer). */
export const FLAG_COMPLETED_COUNTED = 1

const CAPACITY_MIN = 4

export class PeerTable {
  private capacity = 0
  private ids = new Uint8Array(0)
  private addrs = new Uint8Array(0)
  private deadlines = new Uint32Array(0)
  private flagBytes = new Uint8Array(0)
  private index = new Int32Array(0)
  private mask = 0
  private count = 0
  private leecherCount = 0

  /**
   * @param addrBytes 6 (IPv4) or 18 (IPv6): a compact peer's size.
   * @param seed mixes into the index hash so that chosen peer ids cannot collide on purpose.
   */
  constructor(
    readonly addrBytes: number,
    private readonly seed: number,
  ) {}

  get size(): number {
    return this.count
  }
  get leechers(): number {
    return this.leecherCount
  }
  get seeders(): number {
    return this.count - this.leecherCount
  }

  /** Bytes held by the typed arrays (what a peer costs, slack included). */
  get bytes(): number {
    return (
      this.ids.byteLength +
      this.addrs.byteLength +
      this.deadlines.byteLength +
      this.flagBytes.byteLength +
      this.index.byteLength
    )
  }

  isSeeder(record: number): boolean {
    return record >= this.leecherCount
  }

  flags(record: number): number {
    return this.flagBytes[record] as number
  }

  setFlags(record: number, flags: number): void {
    this.flagBytes[record] = flags
  }

  setDeadline(record: number, deadlineSeconds: number): void {
    this.deadlines[record] = deadlineSeconds
  }

  /** The record of (peerId, addr), or -1. `addr` is a compact address of `addrBytes`. */
  find(peerId: Uint8Array, addr: Uint8Array): number {
    if (this.count === 0) return -1
    let pos = this.hashKey(peerId, 0, addr, 0) & this.mask
    for (;;) {
      const slot = this.index[pos] as number
      if (slot === 0) return -1
      if (this.keyEquals(slot - 1, peerId, addr)) return slot - 1
      pos = (pos + 1) & this.mask
    }
  }

  /** Adds a peer known to be absent; returns its record. */
  insert(peerId: Uint8Array, addr: Uint8Array, seeder: boolean, deadlineSeconds: number): number {
    if (this.count === this.capacity) this.resize(Math.max(CAPACITY_MIN, this.capacity * 2))
    let record = this.count
    if (!seeder) {
      // Keep leechers first: the first seeder moves to the end to make room.
      if (this.leecherCount < this.count) this.move(this.leecherCount, this.count)
      record = this.leecherCount
      this.leecherCount++
    }
    this.count++
    this.ids.set(peerId, record * PEER_ID_BYTES)
    this.addrs.set(addr, record * this.addrBytes)
    this.deadlines[record] = deadlineSeconds
    this.flagBytes[record] = 0
    this.indexInsert(record)
    return record
  }

  /** Moves a peer across the leecher/seeder partition; returns its (possibly new) record. */
  setSeeder(record: number, seeder: boolean): number {
    if (seeder === this.isSeeder(record)) return record
    if (seeder) {
      const last = this.leecherCount - 1
      this.swap(record, last)
      this.leecherCount--
      return last
    }
    const first = this.leecherCount
    this.swap(record, first)
    this.leecherCount++
    return first
  }

  remove(record: number): void {
    this.indexDelete(record)
    let hole = record
    if (record < this.leecherCount) {
      const lastLeecher = this.leecherCount - 1
      if (hole !== lastLeecher) this.move(lastLeecher, hole)
      hole = lastLeecher
      this.leecherCount--
    }
    const last = this.count - 1
    if (hole !== last) this.move(last, hole)
    this.count--
  }

  /** Removes every peer whose deadline is at or before `nowSeconds`; returns how many. */
  sweep(nowSeconds: number): number {
    let removed = 0
    // Backwards: `remove` fills a hole only with records from above it, which were checked
    // already; the `while` re-checks the filled hole anyway, which keeps this obviously right.
    for (let i = this.count - 1; i >= 0; i--) {
      while (i < this.count && (this.deadlines[i] as number) <= nowSeconds) {
        this.remove(i)
        removed++
      }
    }
    let capacity = this.capacity
    while (capacity > CAPACITY_MIN && this.count * 4 <= capacity) capacity >>>= 1
    if (capacity !== this.capacity) this.resize(capacity)
    return removed
  }

  /** Copies record's compact address to `target` at `offset`. */
  copyAddr(record: number, target: Uint8Array, offset: number): void {
    // A byte loop, not `set(subarray(...))`: 6 or 18 bytes do not repay a view object per peer
    // (it was 6 % of the UDP tracker's profile, 50 peers per answer).
    const size = this.addrBytes
    const at = record * size
    const addrs = this.addrs
    for (let i = 0; i < size; i++) target[offset + i] = addrs[at + i] as number
  }

  copyPeerId(record: number, target: Uint8Array, offset: number): void {
    const at = record * PEER_ID_BYTES
    target.set(this.ids.subarray(at, at + PEER_ID_BYTES), offset)
  }

  // --- internals -------------------------------------------------------------------------------

  /** A seeded 32-bit multiply-xorshift over the key bytes (not cryptographic; see the seed). */
  private hashKey(peerId: Uint8Array, idAt: number, addr: Uint8Array, addrAt: number): number {
    let h = this.seed | 0
    for (let i = 0; i < PEER_ID_BYTES; i++) {
      h = Math.imul(h ^ (peerId[idAt + i] as number), 0x01000193)
    }
    for (let i = 0; i < this.addrBytes; i++) {
      h = Math.imul(h ^ (addr[addrAt + i] as number), 0x01000193)
    }
    h ^= h >>> 16
    h = Math.imul(h, 0x85ebca6b)
    h ^= h >>> 13
    return h >>> 0
  }

  private hashRecord(record: number): number {
    return this.hashKey(this.ids, record * PEER_ID_BYTES, this.addrs, record * this.addrBytes)
  }

  private keyEquals(record: number, peerId: Uint8Array, addr: Uint8Array): boolean {
    const idAt = record * PEER_ID_BYTES
    for (let i = 0; i < PEER_ID_BYTES; i++) if (this.ids[idAt + i] !== peerId[i]) return false
    const addrAt = record * this.addrBytes
    for (let i = 0; i < this.addrBytes; i++) if (this.addrs[addrAt + i] !== addr[i]) return false
    return true
  }

  private indexInsert(record: number): void {
    let pos = this.hashRecord(record) & this.mask
    while (this.index[pos] !== 0) pos = (pos + 1) & this.mask
    this.index[pos] = record + 1
  }

  /** The index slot holding `record`. */
  private indexSlot(record: number): number {
    let pos = this.hashRecord(record) & this.mask
    while (this.index[pos] !== record + 1) pos = (pos + 1) & this.mask
    return pos
  }

  /** Backward-shift deletion keeps probe chains intact without tombstones. */
  private indexDelete(record: number): void {
    let hole = this.indexSlot(record)
    let pos = hole
    for (;;) {
      pos = (pos + 1) & this.mask
      const slot = this.index[pos] as number
      if (slot === 0) break
      const home = this.hashRecord(slot - 1) & this.mask
      // The entry at `pos` may fill the hole unless its home lies cyclically in (hole, pos].
      const homeInRange = hole <= pos ? home > hole && home <= pos : home > hole || home <= pos
      if (!homeInRange) {
        this.index[hole] = slot
        hole = pos
      }
    }
    this.index[hole] = 0
  }

  /** Moves record `from` into the unused record `to`. */
  private move(from: number, to: number): void {
    this.index[this.indexSlot(from)] = to + 1
    this.copyRecord(from, to)
  }

  private swap(a: number, b: number): void {
    if (a === b) return
    const slotA = this.indexSlot(a)
    const slotB = this.indexSlot(b)
    this.index[slotA] = b + 1
    this.index[slotB] = a + 1
    // Record `capacity` does not exist; use a scratch copy instead.
    const idA = this.ids.slice(a * PEER_ID_BYTES, (a + 1) * PEER_ID_BYTES)
    const addrA = this.addrs.slice(a * this.addrBytes, (a + 1) * this.addrBytes)
    const deadlineA = this.deadlines[a] as number
    const flagsA = this.flagBytes[a] as number
    this.copyRecord(b, a)
    this.ids.set(idA, b * PEER_ID_BYTES)
    this.addrs.set(addrA, b * this.addrBytes)
    this.deadlines[b] = deadlineA
    this.flagBytes[b] = flagsA
  }

  private copyRecord(from: number, to: number): void {
    this.ids.copyWithin(to * PEER_ID_BYTES, from * PEER_ID_BYTES, (from + 1) * PEER_ID_BYTES)
    const a = this.addrBytes
    this.addrs.copyWithin(to * a, from * a, (from + 1) * a)
    this.deadlines[to] = this.deadlines[from] as number
    this.flagBytes[to] = this.flagBytes[from] as number
  }

  private resize(capacity: number): void {
    const ids = new Uint8Array(capacity * PEER_ID_BYTES)
    ids.set(this.ids.subarray(0, this.count * PEER_ID_BYTES))
    const addrs = new Uint8Array(capacity * this.addrBytes)
    addrs.set(this.addrs.subarray(0, this.count * this.addrBytes))
    const deadlines = new Uint32Array(capacity)
    deadlines.set(this.deadlines.subarray(0, this.count))
    const flags = new Uint8Array(capacity)
    flags.set(this.flagBytes.subarray(0, this.count))
    this.ids = ids
    this.addrs = addrs
    this.deadlines = deadlines
    this.flagBytes = flags
    this.capacity = capacity
    this.index = new Int32Array(capacity * 2)
    this.mask = capacity * 2 - 1
    for (let record = 0; record < this.count; record++) this.indexInsert(record)
  }
}

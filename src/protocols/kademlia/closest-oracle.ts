/**
 * For simulations and tests: the true XOR-closest live node to a target, for judging lookups in the simulator without
 * scanning every node: ids sorted as bytes form a binary trie, and the closest node lies in
 * the half that shares the target's next bit whenever that half has a live node.
 */
import { compareBytes } from '../../core/bytes.js'
import { compareDistance, idBit, type Id160 } from '../../core/id.js'

export interface OracleEntry {
  readonly id: Id160
  readonly host: number
}

export class ClosestOracle {
  private sorted: OracleEntry[] = []
  /** Entries added since the last sort, searched by brute force. */
  private extra: OracleEntry[] = []

  constructor(private readonly live: (entry: OracleEntry) => boolean) {}

  add(entry: OracleEntry): void {
    this.extra.push(entry)
    if (this.extra.length > 1024) this.rebuild()
  }

  rebuild(): void {
    this.sorted = [...this.sorted, ...this.extra]
      .filter((e) => this.live(e))
      .sort((a, b) => compareBytes(a.id, b.id))
    this.extra = []
  }

  /** The closest live entry to `target` other than host `skip`. */
  closest(target: Id160, skip: number): OracleEntry | undefined {
    return this.closestK(target, skip, 1)[0]
  }

  /** The `count` closest live entries to `target` other than host `skip`, closest first. */
  closestK(target: Id160, skip: number, count: number): OracleEntry[] {
    const found: OracleEntry[] = []
    this.search(target, skip, count, 0, this.sorted.length, 0, found)
    for (const e of this.extra) {
      if (e.host !== skip && this.live(e)) found.push(e)
    }
    return found.sort((a, b) => compareDistance(target, a.id, b.id)).slice(0, count)
  }

  /**
   * Appends to `found`, until it holds `count`, the live entries of sorted[lo, hi) (which share
   * their first `bit` bits) nearest first: every entry of the half sharing the target's next
   * bit is nearer than any of the other half.
   */
  private search(
    target: Id160,
    skip: number,
    count: number,
    lo: number,
    hi: number,
    bit: number,
    found: OracleEntry[],
  ): void {
    if (found.length >= count || lo >= hi) return
    if (hi - lo <= 16 || bit >= 160) {
      const leaf: OracleEntry[] = []
      for (let i = lo; i < hi; i++) {
        const e = this.sorted[i] as OracleEntry
        if (e.host !== skip && this.live(e)) leaf.push(e)
      }
      leaf.sort((a, b) => compareDistance(target, a.id, b.id))
      for (const e of leaf) {
        if (found.length >= count) return
        found.push(e)
      }
      return
    }
    // First index in [lo, hi) whose bit `bit` is 1 (the range shares all earlier bits).
    let a = lo
    let b = hi
    while (a < b) {
      const m = (a + b) >>> 1
      if (idBit((this.sorted[m] as OracleEntry).id, bit) === 1) b = m
      else a = m + 1
    }
    if (idBit(target, bit) === 0) {
      this.search(target, skip, count, lo, a, bit + 1, found)
      this.search(target, skip, count, a, hi, bit + 1, found)
    } else {
      this.search(target, skip, count, a, hi, bit + 1, found)
      this.search(target, skip, count, lo, a, bit + 1, found)
    }
  }
}

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
    let best = this.search(target, skip, 0, this.sorted.length, 0)
    for (const e of this.extra) {
      if (e.host === skip || !this.live(e)) continue
      if (best === undefined || compareDistance(target, e.id, best.id) < 0) best = e
    }
    return best
  }

  private search(
    target: Id160,
    skip: number,
    lo: number,
    hi: number,
    bit: number,
  ): OracleEntry | undefined {
    if (hi - lo <= 16 || bit >= 160) {
      let best: OracleEntry | undefined
      for (let i = lo; i < hi; i++) {
        const e = this.sorted[i] as OracleEntry
        if (e.host === skip || !this.live(e)) continue
        if (best === undefined || compareDistance(target, e.id, best.id) < 0) best = e
      }
      return best
    }
    // First index in [lo, hi) whose bit `bit` is 1 (the range shares all earlier bits).
    let a = lo
    let b = hi
    while (a < b) {
      const m = (a + b) >>> 1
      if (idBit((this.sorted[m] as OracleEntry).id, bit) === 1) b = m
      else a = m + 1
    }
    const [near, far] =
      idBit(target, bit) === 0
        ? [
            [lo, a],
            [a, hi],
          ]
        : [
            [a, hi],
            [lo, a],
          ]
    return (
      this.search(target, skip, near[0] as number, near[1] as number, bit + 1) ??
      this.search(target, skip, far[0] as number, far[1] as number, bit + 1)
    )
  }
}

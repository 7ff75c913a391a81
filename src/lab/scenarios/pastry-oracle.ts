import type { Random } from '../../core/random.js'
import { DIGITS, digitAt, idFraction, type PastryRef } from '../../protocols/pastry/index.js'

/**
 * Pastry's tables built centrally, for runs too large for every node to join by the protocol
 * in the time given (as Chord's `--join 0`): this is NOT the protocol's join, whose tables are
 * measured by `plexus sim pastry` with joins (pastry.md gives both). Leaf sets are exact (the
 * L/2 ring neighbours on each side). Each routing-table slot R[l][c] gets, of up to
 * `candidates` random nodes whose ids fit it, the nearest by the latency plane: what the
 * paper's join approximates (its i-th hop is near the nearby node, which is near the newcomer).
 */
export interface PastryTables {
  readonly entries: PastryRef[]
  readonly leaves: PastryRef[]
}

/** Digits of an id exact in a 52-bit fraction of the ring: prefixes up to 13 hex digits. */
const EXACT_DIGITS = 13

export function buildPastryTables(
  refs: readonly PastryRef[],
  distance: (a: number, b: number) => number,
  random: Random,
  leafSize = 16,
  candidates = 8,
): PastryTables[] {
  const n = refs.length
  const order = refs.map((_, i) => i)
  const fraction = refs.map((r) => idFraction(r.id))
  order.sort((a, b) => {
    const d = (fraction[a] as number) - (fraction[b] as number)
    if (d !== 0) return d
    const x = (refs[a] as PastryRef).id
    const y = (refs[b] as PastryRef).id
    return x < y ? -1 : x > y ? 1 : 0
  })
  const sorted = Float64Array.from(order, (i) => fraction[i] as number)
  const position = new Int32Array(n)
  for (let p = 0; p < n; p++) position[order[p] as number] = p
  /** The first sorted position whose fraction is at least `f`. */
  const lowerBound = (f: number): number => {
    let lo = 0
    let hi = n
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((sorted[mid] as number) < f) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  return refs.map((ref, self) => {
    const leaves: PastryRef[] = []
    const half = Math.min(leafSize / 2, Math.floor((n - 1) / 2))
    const at = position[self] as number
    for (let k = 1; k <= half; k++) {
      leaves.push(refs[order[(at + k) % n] as number] as PastryRef)
      leaves.push(refs[order[(at - k + n) % n] as number] as PastryRef)
    }
    const entries: PastryRef[] = []
    // Row l: the nodes sharing the first l digits with us, split by their digit l.
    let prefix = 0
    for (let l = 0; l < Math.min(DIGITS, EXACT_DIGITS - 1); l++) {
      const width = 16 ** -(l + 1)
      const own = digitAt(ref.id, l)
      let deeper = 0
      for (let c = 0; c < 16; c++) {
        const lo = lowerBound((prefix * 16 + c) * width)
        const hi = lowerBound((prefix * 16 + c + 1) * width)
        if (c === own) deeper = hi - lo - 1
        if (c === own || hi <= lo) continue
        let best = -1
        const tries = Math.min(candidates, hi - lo)
        for (let t = 0; t < tries; t++) {
          const p = hi - lo <= candidates ? lo + t : lo + random.int(hi - lo)
          const i = order[p] as number
          if (best < 0 || distance(self, i) < distance(self, best)) best = i
        }
        entries.push(refs[best] as PastryRef)
      }
      // No other node shares l + 1 digits with us: the rows below are empty.
      if (deeper <= 0) break
      prefix = prefix * 16 + own
    }
    return { entries, leaves }
  })
}

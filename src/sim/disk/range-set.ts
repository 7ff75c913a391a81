import { assert } from '../../core/errors.js'

/**
 * A set of byte offsets kept as sorted, disjoint, coalesced half-open ranges [start, end).
 * A synthetic download records which bytes it has "written" here instead of storing them;
 * blocks arrive mostly in order, so ranges merge and the set stays a handful of entries.
 */

/** A fragmentation alarm: more ranges than this means a caller writes single bytes at random. */
export const RANGES_MAX = 1_000_000

export type ByteRange = readonly [start: number, end: number]

export class RangeSet {
  private readonly starts: number[] = []
  private readonly ends: number[] = []

  get count(): number {
    return this.starts.length
  }

  /** Adds [start, end), merging with ranges it overlaps or touches. */
  add(start: number, end: number): void {
    if (start >= end) return
    // First range that ends at or after `start` (touching counts), first that starts after `end`.
    const first = lowerBound(this.ends, start)
    const after = upperBound(this.starts, end)
    let mergedStart = start
    let mergedEnd = end
    if (first < after) {
      mergedStart = Math.min(start, this.starts[first] as number)
      mergedEnd = Math.max(end, this.ends[after - 1] as number)
    }
    this.starts.splice(first, after - first, mergedStart)
    this.ends.splice(first, after - first, mergedEnd)
    assert(this.starts.length <= RANGES_MAX, `range set above ${RANGES_MAX} ranges`)
  }

  /** Removes [start, end), splitting a range that straddles it. */
  remove(start: number, end: number): void {
    if (start >= end) return
    const first = upperBound(this.ends, start)
    const after = lowerBound(this.starts, end)
    if (first >= after) return
    const keptStarts: number[] = []
    const keptEnds: number[] = []
    const firstStart = this.starts[first] as number
    const lastEnd = this.ends[after - 1] as number
    if (firstStart < start) {
      keptStarts.push(firstStart)
      keptEnds.push(start)
    }
    if (lastEnd > end) {
      keptStarts.push(end)
      keptEnds.push(lastEnd)
    }
    this.starts.splice(first, after - first, ...keptStarts)
    this.ends.splice(first, after - first, ...keptEnds)
  }

  /** Removes every offset at or beyond `limit`. */
  clipTo(limit: number): void {
    // Ranges before `keep` start below `limit`, so clipping the last one leaves it non-empty.
    const keep = lowerBound(this.starts, limit)
    this.starts.length = keep
    this.ends.length = keep
    if (keep > 0 && (this.ends[keep - 1] as number) > limit) this.ends[keep - 1] = limit
  }

  /** The parts of [start, end) that are in the set, in order. */
  intersect(start: number, end: number): ByteRange[] {
    const out: ByteRange[] = []
    for (let i = upperBound(this.ends, start); i < this.starts.length; i++) {
      const rangeStart = this.starts[i] as number
      if (rangeStart >= end) break
      out.push([Math.max(start, rangeStart), Math.min(end, this.ends[i] as number)])
    }
    return out
  }

  /** Whether every offset of [start, end) is in the set. */
  covers(start: number, end: number): boolean {
    if (start >= end) return true
    const i = upperBound(this.ends, start)
    return (
      i < this.starts.length &&
      (this.starts[i] as number) <= start &&
      (this.ends[i] as number) >= end
    )
  }

  toArray(): ByteRange[] {
    return this.starts.map((start, i) => [start, this.ends[i] as number] as const)
  }
}

/** First index whose value is >= `value`. */
function lowerBound(values: readonly number[], value: number): number {
  let low = 0
  let high = values.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if ((values[middle] as number) < value) low = middle + 1
    else high = middle
  }
  return low
}

/** First index whose value is > `value`. */
function upperBound(values: readonly number[], value: number): number {
  let low = 0
  let high = values.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if ((values[middle] as number) <= value) low = middle + 1
    else high = middle
  }
  return low
}

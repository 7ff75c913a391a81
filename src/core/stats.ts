/** Summary statistics for reports: nearest-rank percentiles over a copy of the samples. */
export interface Summary {
  readonly count: number
  readonly min: number
  readonly mean: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly max: number
}

const EMPTY: Summary = { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 }

/** Nearest-rank percentile of sorted values; `fraction` in [0, 1]. */
export function percentileSorted(sorted: ArrayLike<number>, fraction: number): number {
  if (sorted.length === 0) return 0
  const rank = Math.ceil(fraction * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number
}

export function summarize(values: ArrayLike<number>): Summary {
  if (values.length === 0) return EMPTY
  const sorted = Float64Array.from(values).sort()
  let sum = 0
  for (const value of sorted) sum += value
  return {
    count: sorted.length,
    min: sorted[0] as number,
    mean: sum / sorted.length,
    p50: percentileSorted(sorted, 0.5),
    p90: percentileSorted(sorted, 0.9),
    p99: percentileSorted(sorted, 0.99),
    max: sorted[sorted.length - 1] as number,
  }
}

/** Rounds every number in a summary, so that JSON reports stay short and stable. */
export function roundSummary(summary: Summary, digits = 3): Summary {
  const f = 10 ** digits
  const r = (v: number): number => Math.round(v * f) / f
  return {
    count: summary.count,
    min: r(summary.min),
    mean: r(summary.mean),
    p50: r(summary.p50),
    p90: r(summary.p90),
    p99: r(summary.p99),
    max: r(summary.max),
  }
}

import type { Metrics } from '../core/env.js'

/**
 * Per-host metrics for the simulator, and their aggregation across the world.
 *
 * Histograms keep exact count, sum, min and max, and a bounded sample for percentiles. When the
 * sample is full it keeps every other value and from then on records every second observation
 * (then every fourth, ...): deterministic, no randomness needed, and each kept value stands for
 * `stride` observations when samples from several hosts are merged.
 */

/** Distinct metric names per host; more are counted under `metrics.names_dropped`. */
export const METRIC_NAMES_MAX = 1024
/** Values a histogram keeps for percentiles. */
export const HISTOGRAM_SAMPLES_MAX = 4096

export class Histogram {
  count = 0
  sum = 0
  min = Number.POSITIVE_INFINITY
  max = Number.NEGATIVE_INFINITY
  /** Every `stride`-th observation is kept. */
  stride = 1
  readonly samples: number[] = []
  private skipped = 0

  observe(value: number): void {
    this.count++
    this.sum += value
    if (value < this.min) this.min = value
    if (value > this.max) this.max = value
    if (++this.skipped < this.stride) return
    this.skipped = 0
    if (this.samples.length >= HISTOGRAM_SAMPLES_MAX) {
      let kept = 0
      for (let i = 0; i < this.samples.length; i += 2)
        this.samples[kept++] = this.samples[i] as number
      this.samples.length = kept
      this.stride *= 2
    }
    this.samples.push(value)
  }
}

export interface HistogramSummary {
  readonly count: number
  readonly sum: number
  readonly mean: number
  readonly min: number
  readonly max: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
}

/** One host's registry. Maps are made on first use, so an idle host costs two fields. */
export class SimMetrics implements Metrics {
  private counters: Map<string, number> | undefined
  private histograms: Map<string, Histogram> | undefined

  count(name: string, delta = 1): void {
    const counters = (this.counters ??= new Map())
    const current = counters.get(name)
    if (current !== undefined) counters.set(name, current + delta)
    else if (this.admit(name)) counters.set(name, delta)
  }

  observe(name: string, value: number): void {
    const histograms = (this.histograms ??= new Map())
    let histogram = histograms.get(name)
    if (histogram === undefined) {
      if (!this.admit(name)) return
      histogram = new Histogram()
      histograms.set(name, histogram)
    }
    histogram.observe(value)
  }

  /** The counter's value, 0 when never counted. */
  counter(name: string): number {
    return this.counters?.get(name) ?? 0
  }

  histogram(name: string): Histogram | undefined {
    return this.histograms?.get(name)
  }

  counterEntries(): IterableIterator<[string, number]> {
    return (this.counters ?? new Map<string, number>()).entries()
  }

  histogramEntries(): IterableIterator<[string, Histogram]> {
    return (this.histograms ?? new Map<string, Histogram>()).entries()
  }

  private admit(name: string): boolean {
    const names = (this.counters?.size ?? 0) + (this.histograms?.size ?? 0)
    if (names < METRIC_NAMES_MAX) return true
    if (name !== 'metrics.names_dropped') this.count('metrics.names_dropped')
    return false
  }
}

/** Sums every counter across registries; names sorted, so the result prints stably. */
export function sumCounters(registries: Iterable<SimMetrics>): Map<string, number> {
  const totals = new Map<string, number>()
  for (const registry of registries) {
    for (const [name, value] of registry.counterEntries()) {
      totals.set(name, (totals.get(name) ?? 0) + value)
    }
  }
  return new Map([...totals.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

/** Merges one histogram across registries; undefined when nobody observed it. */
export function mergeHistograms(
  registries: Iterable<SimMetrics>,
  name: string,
): HistogramSummary | undefined {
  const weighted: [number, number][] = []
  let count = 0
  let sum = 0
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  for (const registry of registries) {
    const histogram = registry.histogram(name)
    if (histogram === undefined) continue
    count += histogram.count
    sum += histogram.sum
    min = Math.min(min, histogram.min)
    max = Math.max(max, histogram.max)
    for (const value of histogram.samples) weighted.push([value, histogram.stride])
  }
  if (count === 0) return undefined
  weighted.sort((a, b) => a[0] - b[0])
  return {
    count,
    sum,
    mean: sum / count,
    min,
    max,
    p50: weightedQuantile(weighted, 0.5),
    p90: weightedQuantile(weighted, 0.9),
    p99: weightedQuantile(weighted, 0.99),
  }
}

/** Summarises plain values (e.g. transfer times a test collected). */
export function summarize(values: readonly number[]): HistogramSummary | undefined {
  if (values.length === 0) return undefined
  const registry = new SimMetrics()
  for (const value of values) registry.observe('v', value)
  return mergeHistograms([registry], 'v')
}

/** The smallest value whose cumulative weight reaches `q` of the total; input sorted. */
function weightedQuantile(sorted: readonly [number, number][], q: number): number {
  let total = 0
  for (const [, weight] of sorted) total += weight
  const target = q * total
  let cumulative = 0
  for (const [value, weight] of sorted) {
    cumulative += weight
    if (cumulative >= target) return value
  }
  return sorted[sorted.length - 1]?.[0] ?? Number.NaN
}

import type { Metrics } from '../../core/env.js'

/**
 * Counters and histograms in memory, pure TypeScript (no node:*), so that the simulator can
 * keep one registry per host with the same class.
 *
 * Histograms are log-linear, as HdrHistogram: each power of two is split into SUB_BUCKETS
 * equal slices, so a quantile is reported within 1/SUB_BUCKETS/2 (about 1.6 %) of the true
 * sample, memory is bounded whatever the number of samples, and no randomness is involved (a
 * reservoir would need a random stream and would make simulator runs differ). Count, sum, min
 * and max are exact. Negative values mirror positive ones; zero has its own bucket.
 */

/** Slices per power of two: the relative precision of quantiles. */
const SUB_BUCKETS = 32
/** Exponents are clamped to [-EXPONENT_MAX, EXPONENT_MAX]: at most ~8k buckets a histogram. */
const EXPONENT_MAX = 64
/** Distinct metric names kept; beyond it samples are counted under DROPPED_NAME instead. */
const NAMES_MAX_DEFAULT = 10_000
const DROPPED_NAME = 'metrics.dropped_names'

export interface HistogramSummary {
  readonly count: number
  readonly sum: number
  readonly mean: number
  readonly min: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly max: number
}

export interface MetricsSnapshot {
  /** Sorted by name, so that two snapshots of equal registries print the same. */
  readonly counters: Readonly<Record<string, number>>
  readonly histograms: Readonly<Record<string, HistogramSummary>>
}

export interface MetricsRegistryOptions {
  /** Bound on distinct names (counters plus histograms). Default 10 000. */
  readonly namesMax?: number
}

export class MetricsRegistry implements Metrics {
  private readonly counters = new Map<string, number>()
  private readonly histograms = new Map<string, Histogram>()
  private readonly namesMax: number

  constructor(options: MetricsRegistryOptions = {}) {
    this.namesMax = options.namesMax ?? NAMES_MAX_DEFAULT
  }

  count(name: string, delta = 1): void {
    const current = this.counters.get(name)
    if (current === undefined && !this.admit(name)) return
    this.counters.set(name, (current ?? 0) + delta)
  }

  observe(name: string, value: number): void {
    let histogram = this.histograms.get(name)
    if (histogram === undefined) {
      if (!this.admit(name)) return
      histogram = new Histogram()
      this.histograms.set(name, histogram)
    }
    histogram.record(value)
  }

  /** A counter's value; 0 when it was never counted. */
  counter(name: string): number {
    return this.counters.get(name) ?? 0
  }

  /** A histogram's summary, or undefined when nothing was observed under `name`. */
  histogram(name: string): HistogramSummary | undefined {
    return this.histograms.get(name)?.summary()
  }

  snapshot(): MetricsSnapshot {
    const counters: Record<string, number> = {}
    for (const name of [...this.counters.keys()].sort()) counters[name] = this.counter(name)
    const histograms: Record<string, HistogramSummary> = {}
    for (const name of [...this.histograms.keys()].sort()) {
      const summary = this.histogram(name)
      if (summary !== undefined) histograms[name] = summary
    }
    return { counters, histograms }
  }

  /** True when `name` may be added; otherwise counts the refusal. */
  private admit(name: string): boolean {
    if (this.counters.size + this.histograms.size < this.namesMax) return true
    if (name !== DROPPED_NAME) {
      this.counters.set(DROPPED_NAME, (this.counters.get(DROPPED_NAME) ?? 0) + 1)
    }
    return false
  }
}

/** Metrics that go nowhere: the default for drivers built without a registry. */
export const discardMetrics: Metrics = {
  count: () => {},
  observe: () => {},
}

/** One log-linear histogram. Buckets are sparse: only values seen take memory. */
export class Histogram {
  private readonly buckets = new Map<number, number>()
  private total = 0
  private sum = 0
  private min = Infinity
  private max = -Infinity

  /** NaN is ignored: it has no place in an order and would poison the sum. */
  record(value: number): void {
    if (Number.isNaN(value)) return
    const key = bucketKey(value)
    this.buckets.set(key, (this.buckets.get(key) ?? 0) + 1)
    this.total += 1
    this.sum += value
    if (value < this.min) this.min = value
    if (value > this.max) this.max = value
  }

  summary(): HistogramSummary | undefined {
    if (this.total === 0) return undefined
    const keys = [...this.buckets.keys()].sort((a, b) => a - b)
    return {
      count: this.total,
      sum: this.sum,
      mean: this.sum / this.total,
      min: this.min,
      p50: this.quantile(keys, 0.5),
      p90: this.quantile(keys, 0.9),
      p99: this.quantile(keys, 0.99),
      max: this.max,
    }
  }

  /** Nearest-rank quantile over ascending bucket keys, clamped to the exact min and max. */
  private quantile(keys: readonly number[], q: number): number {
    const rank = Math.max(1, Math.ceil(q * this.total))
    let seen = 0
    for (const key of keys) {
      seen += this.buckets.get(key) ?? 0
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, bucketValue(key)))
    }
    return this.max
  }
}

/**
 * Orders like the values: 0 for zero, positive keys for positive values growing with them,
 * and the mirror image for negative values.
 */
function bucketKey(value: number): number {
  if (value === 0) return 0
  const magnitude = Math.abs(value)
  const exponent = clamp(Math.floor(Math.log2(magnitude)), -EXPONENT_MAX, EXPONENT_MAX)
  const mantissa = magnitude / 2 ** exponent
  const slice = clamp(Math.floor((mantissa - 1) * SUB_BUCKETS), 0, SUB_BUCKETS - 1)
  const key = (exponent + EXPONENT_MAX) * SUB_BUCKETS + slice + 1
  return value > 0 ? key : -key
}

/** The middle of a bucket's range: its representative in quantiles. */
function bucketValue(key: number): number {
  if (key === 0) return 0
  const index = Math.abs(key) - 1
  const exponent = Math.floor(index / SUB_BUCKETS) - EXPONENT_MAX
  const slice = index % SUB_BUCKETS
  const magnitude = 2 ** exponent * (1 + (slice + 0.5) / SUB_BUCKETS)
  return key > 0 ? magnitude : -magnitude
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value))
}

/**
 * Circuit build timeouts learned from measured build times (after path-spec §2.4, without
 * tor's Pareto fit): until enough builds are seen the timeout is the initial 60 s; then it is
 * a multiple of the 80th percentile of recent build times, bounded below and above. A build
 * that times out is counted as one slow sample, so a network that gets slower widens it.
 */
export interface BuildTimeoutOptions {
  readonly initialMs?: number
  readonly minimumMs?: number
  readonly maximumMs?: number
  readonly samplesNeeded?: number
  readonly window?: number
  readonly multiplier?: number
}

export class BuildTimeoutEstimator {
  private readonly samples: number[] = []
  private readonly initialMs: number
  private readonly minimumMs: number
  private readonly maximumMs: number
  private readonly samplesNeeded: number
  private readonly window: number
  private readonly multiplier: number

  constructor(options: BuildTimeoutOptions = {}) {
    this.initialMs = options.initialMs ?? 60_000
    this.minimumMs = options.minimumMs ?? 1_500
    this.maximumMs = options.maximumMs ?? 60_000
    this.samplesNeeded = options.samplesNeeded ?? 10
    this.window = options.window ?? 100
    this.multiplier = options.multiplier ?? 3
  }

  recordBuild(durationMs: number): void {
    this.samples.push(durationMs)
    if (this.samples.length > this.window) this.samples.shift()
  }

  recordTimeout(): void {
    this.recordBuild(this.timeoutMs())
  }

  timeoutMs(): number {
    if (this.samples.length < this.samplesNeeded) return this.initialMs
    const sorted = [...this.samples].sort((a, b) => a - b)
    const p80 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.8))] as number
    return Math.min(this.maximumMs, Math.max(this.minimumMs, Math.round(p80 * this.multiplier)))
  }
}

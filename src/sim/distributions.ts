import { assert } from '../core/errors.js'
import type { Random } from '../core/random.js'

/**
 * Distributions for session lengths and off-times (churn). Measurement studies of deployed
 * P2P systems (Stutzbach & Rejaie, "Understanding Churn in Peer-to-Peer Networks", 2006) found
 * session lengths closer to Weibull (shape < 1: many short sessions, a long tail) than to
 * the exponential that analyses often assume, so both are here. Samples come from the inverse
 * CDF of one uniform draw, so a stream of samples depends only on the Random given.
 */

export interface Distribution {
  /** One sample (milliseconds, for churn). */
  sample(random: Random): number
  /** The distribution's mean, for checks and reports. */
  readonly mean: number
  readonly description: string
}

/** -ln(1 - u) for u in [0, 1): an Exp(1) sample, never infinite. */
const standardExponential = (random: Random): number => -Math.log1p(-random.float())

export function exponential(mean: number): Distribution {
  assert(mean > 0 && Number.isFinite(mean), `bad exponential mean ${mean}`)
  return {
    sample: (random) => mean * standardExponential(random),
    mean,
    description: `exponential(mean=${mean})`,
  }
}

/** Weibull with `shape` k and `scale` lambda: mean = lambda * Gamma(1 + 1/k). */
export function weibull(shape: number, scale: number): Distribution {
  assert(shape > 0 && scale > 0 && Number.isFinite(shape * scale), 'bad weibull parameters')
  return {
    sample: (random) => scale * Math.pow(standardExponential(random), 1 / shape),
    mean: scale * gamma(1 + 1 / shape),
    description: `weibull(shape=${shape}, scale=${scale})`,
  }
}

/** Pareto (type I), `shape` alpha > 1, minimum `scale`: mean = alpha * scale / (alpha - 1). */
export function pareto(shape: number, scale: number): Distribution {
  assert(shape > 1 && scale > 0, 'bad pareto parameters (shape must exceed 1 for a mean)')
  return {
    sample: (random) => scale / Math.pow(1 - random.float(), 1 / shape),
    mean: (shape * scale) / (shape - 1),
    description: `pareto(shape=${shape}, scale=${scale})`,
  }
}

export function fixed(value: number): Distribution {
  assert(value >= 0 && Number.isFinite(value), `bad fixed value ${value}`)
  return { sample: () => value, mean: value, description: `fixed(${value})` }
}

/** Below this, gamma shifts its argument up before using Stirling's series. */
const STIRLING_FROM = 10

/**
 * The gamma function for x > 0 (and non-integer x < 0 by reflection): Stirling's series for
 * ln Gamma, after shifting x up to at least 10 with Gamma(x) = Gamma(x + 1) / x. Relative error
 * below 1e-12, plenty for distribution means.
 */
export function gamma(x: number): number {
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x))
  let shift = 1
  let z = x
  while (z < STIRLING_FROM) {
    shift *= z
    z += 1
  }
  const inverse = 1 / z
  const inverse2 = inverse * inverse
  const series = inverse * (1 / 12 - inverse2 * (1 / 360 - inverse2 * (1 / 1260 - inverse2 / 1680)))
  const lnGamma = (z - 0.5) * Math.log(z) - z + 0.5 * Math.log(2 * Math.PI) + series
  return Math.exp(lnGamma) / shift
}

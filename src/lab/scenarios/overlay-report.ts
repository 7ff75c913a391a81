import { summarize } from '../../core/stats.js'

/** The figures the structured-overlay reports (Chord, CAN, Pastry) share, and their text. */

export const round = (v: number, d = 3): number => Math.round(v * 10 ** d) / 10 ** d

export interface HopsSummary {
  readonly mean: number
  readonly p50: number
  readonly p90: number
  readonly max: number
}

export function summarizeHops(hops: readonly number[]): HopsSummary {
  const h = summarize(hops)
  return { mean: round(h.mean), p50: h.p50, p90: h.p90, max: h.max }
}

export const hopsText = (h: HopsSummary): string =>
  `hops mean ${h.mean} p50 ${h.p50} p90 ${h.p90} max ${h.max}`

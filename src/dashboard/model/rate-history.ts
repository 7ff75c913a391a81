import type { TorrentStatus } from './api-types.js'

/** One rate sample: when (ms) and bytes per second each way. */
export interface RateSample {
  readonly at: number
  readonly down: number
  readonly up: number
}

/** Every series keeps this much history: the chart shows the last minutes. */
export const HISTORY_MS = 5 * 60_000

export type RateHistory = ReadonlyMap<string, readonly RateSample[]>

/** The key of the node-wide series, beside one per info-hash. */
export const TOTAL = 'total'

function appended(series: readonly RateSample[] | undefined, sample: RateSample): RateSample[] {
  const kept = (series ?? []).filter((s) => s.at > sample.at - HISTORY_MS && s.at < sample.at)
  kept.push(sample)
  return kept
}

/**
 * The history after a `stats` event at `now` (ms): one sample for the node and one per
 * torrent; torrents no longer listed lose their series. A new map, the old one untouched.
 */
export function recordStats(
  history: RateHistory,
  torrents: readonly TorrentStatus[],
  total: { readonly downloadRate: number; readonly uploadRate: number },
  now: number,
): RateHistory {
  const next = new Map<string, readonly RateSample[]>()
  next.set(
    TOTAL,
    appended(history.get(TOTAL), { at: now, down: total.downloadRate, up: total.uploadRate }),
  )
  for (const t of torrents) {
    next.set(
      t.infoHash,
      appended(history.get(t.infoHash), { at: now, down: t.downloadRate, up: t.uploadRate }),
    )
  }
  return next
}

/** SVG polyline points of one series over [now - HISTORY_MS, now] in a width x height box. */
export function chartPoints(
  samples: readonly RateSample[],
  pick: (s: RateSample) => number,
  scaleMax: number,
  now: number,
  width: number,
  height: number,
): string {
  const top = scaleMax > 0 ? scaleMax : 1
  return samples
    .map((s) => {
      const x = ((s.at - (now - HISTORY_MS)) / HISTORY_MS) * width
      const y = height - (Math.min(pick(s), top) / top) * height
      return `${x.toFixed(1)},${y.toFixed(1)}`
    })
    .join(' ')
}

/** A chart ceiling at or above the highest sample: a power of two, at least 1 KiB/s. */
export function niceMax(samples: readonly RateSample[]): number {
  const highest = Math.max(0, ...samples.map((s) => Math.max(s.down, s.up)))
  let ceiling = 1024
  while (ceiling < highest) ceiling *= 2
  return ceiling
}

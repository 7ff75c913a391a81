/**
 * When to announce next, as pure functions of the tracker's answer and the config. After a
 * success: the tracker's `interval`, clamped into [`intervalMin`, `intervalMax`], and never
 * sooner than its `min interval`. After failures: `backoffBase * 2^(failures - 1)`, capped at
 * `backoffMax`, less a random jitter of up to `backoffJitterRatio` (never more than the cap).
 */
import { assert } from '../../../core/errors.js'
import type { Random } from '../../../core/random.js'
import { ms, type Duration } from '../../../core/time.js'
import type { AnnouncerConfig } from './announcer-config.js'
import type { AnnounceResponse } from './types.js'

const clamp = (value: number, low: number, high: number): number =>
  Math.min(Math.max(value, low), high)

/** The shortest wait the tracker allows between announces (our floor included). */
export function minIntervalOf(
  response: Pick<AnnounceResponse, 'minInterval'>,
  config: AnnouncerConfig,
): Duration {
  const stated = response.minInterval ?? config.intervalMin
  return ms(clamp(stated, config.intervalMin, config.intervalMax))
}

/** The wait until the regular re-announce after a successful announce. */
export function reannounceDelay(
  response: Pick<AnnounceResponse, 'interval' | 'minInterval'>,
  config: AnnouncerConfig,
): Duration {
  const interval = clamp(
    response.interval ?? config.defaultInterval,
    config.intervalMin,
    config.intervalMax,
  )
  return ms(Math.max(interval, minIntervalOf(response, config)))
}

/** The wait before retrying a tracker that has failed `failures` (>= 1) times in a row. */
export function backoffDelay(failures: number, config: AnnouncerConfig, random: Random): Duration {
  assert(Number.isInteger(failures) && failures >= 1, 'backoff needs at least one failure')
  // 2^(failures - 1) overflows to Infinity long after the cap applies, so no bound is needed.
  const full = Math.min(config.backoffBase * 2 ** (failures - 1), config.backoffMax)
  const jitter = config.backoffJitterRatio * random.float()
  return ms(Math.round(full * (1 - jitter)))
}

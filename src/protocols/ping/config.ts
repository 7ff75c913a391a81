import { ms, type Duration } from '../../core/time.js'
import { DEFAULT_RTT_BOUNDS, type RttBounds } from './rtt-estimator.js'

export interface PingConfig {
  /** Bounds for the adaptive per-peer timeout (RFC 6298 estimator). */
  readonly rtt: RttBounds
  /** Outstanding pings at once; `ping()` refuses beyond it. */
  readonly inflightMax: number
  /** Peers whose RTT estimate we keep; the least recently used is forgotten beyond it. */
  readonly peersMax: number
  /** Ping series (`startSeries`) running at once. */
  readonly seriesMax: number
  /** The shortest interval a series may use. */
  readonly seriesIntervalMin: Duration
}

export const DEFAULT_PING_CONFIG: PingConfig = {
  rtt: DEFAULT_RTT_BOUNDS,
  inflightMax: 4096,
  peersMax: 4096,
  seriesMax: 256,
  seriesIntervalMin: ms(1),
}

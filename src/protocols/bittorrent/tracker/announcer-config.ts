import { minutes, seconds, type Duration } from '../../../core/time.js'

export interface AnnouncerConfig {
  /** Re-announce interval when a tracker gives none (BEP 3 makes it mandatory; some omit it). */
  readonly defaultInterval: Duration
  /**
   * Floor on a tracker's `interval` and `min interval`. A tracker that says "every 5 s" is
   * misconfigured, and obeying it would hammer it; libtorrent's `min_announce_interval` is 5
   * min, we take 1 min so small private trackers and tests stay responsive.
   */
  readonly intervalMin: Duration
  /** Cap on a tracker's `interval`: past it we announce anyway, to stay in the swarm. */
  readonly intervalMax: Duration
  /** First wait after a tracker fails; it doubles with each failure in a row. */
  readonly backoffBase: Duration
  /** The longest wait between retries of a failing tracker. */
  readonly backoffMax: Duration
  /**
   * Each backoff is shortened by a random fraction up to this ratio, so that many torrents
   * failing on one tracker at once (it went down) do not come back in lockstep.
   */
  readonly backoffJitterRatio: number
  /**
   * How long to wait for one tracker's answer before trying the next. Far shorter than BEP
   * 15's full retry ladder (about 2 h): BEP 12 has other trackers to turn to.
   */
  readonly requestTimeout: Duration
  /** On shutdown, how long to wait for the trackers to answer `stopped`. */
  readonly stopTimeout: Duration
  /** Peers asked for per announce (`numwant`); 0 with `stopped`. */
  readonly numwant: number
  /** Tracker URLs kept from the announce list (extras dropped): bounds every loop here. */
  readonly trackersMax: number
}

export const DEFAULT_ANNOUNCER_CONFIG: AnnouncerConfig = {
  defaultInterval: minutes(30),
  intervalMin: seconds(60),
  intervalMax: minutes(6 * 60),
  backoffBase: seconds(60),
  backoffMax: minutes(60),
  backoffJitterRatio: 0.2,
  // Covers the UDP connect and announce with one retransmission each at BEP 15's 15 s base.
  requestTimeout: seconds(120),
  stopTimeout: seconds(5),
  numwant: 50,
  trackersMax: 512,
}

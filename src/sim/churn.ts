import { assert } from '../core/errors.js'
import type { Random } from '../core/random.js'
import type { Distribution } from './distributions.js'
import type { SimHost } from './host.js'
import type { Scheduler } from './scheduler.js'

/**
 * Churn: hosts alternate between sessions (up) and off-times (down), with lengths drawn from
 * distributions (see distributions.ts). Each host has its own forked stream, so a host's
 * schedule depends only on the seed and its address, not on the other hosts.
 *
 * A session ends with a crash, or with a graceful stop for a fraction `gracefulRatio` of
 * departures; an off-time ends with `host.restart()`, which runs the host's last program again
 * (on the same disk). Hosts that are down when churn starts begin with an off-time.
 */

export interface ChurnOptions {
  readonly hosts: readonly SimHost[]
  /** Session lengths, ms. */
  readonly session: Distribution
  /** Off-times, ms. */
  readonly offTime: Distribution
  /** Forked per host as `churn:<address>`. */
  readonly random: Random
  /** Fraction of departures that are graceful `stop()`s rather than crashes. Default 0. */
  readonly gracefulRatio?: number
}

/** Completed session and off-time lengths kept for reports (the first ones). */
export const CHURN_SAMPLES_MAX = 100_000

/** One host's churn state: the context of its transition events. */
export interface Churner {
  readonly driver: ChurnDriver
  readonly host: SimHost
  readonly random: Random
  /** The driver's run this belongs to; events of an earlier run are ignored. */
  readonly run: number
  /** When the current phase began. */
  since: number
}

export class ChurnDriver {
  /** Lengths of completed sessions, ms (at most CHURN_SAMPLES_MAX). */
  readonly sessions: number[] = []
  /** Lengths of completed off-times, ms. */
  readonly offTimes: number[] = []
  departures = 0
  arrivals = 0
  private running = false
  private runNumber = 0
  private readonly gracefulRatio: number

  constructor(
    private readonly scheduler: Scheduler,
    private readonly options: ChurnOptions,
  ) {
    this.gracefulRatio = options.gracefulRatio ?? 0
    assert(this.gracefulRatio >= 0 && this.gracefulRatio <= 1, 'gracefulRatio must be in 0..1')
  }

  /** Schedules every host's first transition from now. */
  start(): void {
    assert(!this.running, 'churn already started')
    this.running = true
    this.runNumber++
    const now = this.scheduler.now()
    for (const host of this.options.hosts) {
      const churner: Churner = {
        driver: this,
        host,
        random: this.options.random.fork(`churn:${host.address}`),
        run: this.runNumber,
        since: now,
      }
      this.schedulePhaseEnd(churner)
    }
  }

  /** No further transitions; hosts stay as they are. */
  stop(): void {
    this.running = false
  }

  /** A phase ended (from its event): flip the host and start the next phase. */
  transition(churner: Churner): void {
    if (!this.running || churner.run !== this.runNumber) return
    const { host } = churner
    const now = this.scheduler.now()
    const length = now - churner.since
    if (host.isUp) {
      record(this.sessions, length)
      this.departures++
      if (this.gracefulRatio > 0 && churner.random.float() < this.gracefulRatio) host.stop()
      else host.crash()
    } else {
      record(this.offTimes, length)
      this.arrivals++
      host.restart()
    }
    churner.since = now
    this.schedulePhaseEnd(churner)
  }

  private schedulePhaseEnd(churner: Churner): void {
    const distribution = churner.host.isUp ? this.options.session : this.options.offTime
    const length = distribution.sample(churner.random)
    this.scheduler.schedule(churner.since + length, transition, churner)
  }
}

function transition(churner: Churner): void {
  churner.driver.transition(churner)
}

function record(samples: number[], value: number): void {
  if (samples.length < CHURN_SAMPLES_MAX) samples.push(value)
}

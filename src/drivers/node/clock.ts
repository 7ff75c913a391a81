import type { Clock, TimerHandle } from '../../core/env.js'
import { instant, type Instant } from '../../core/time.js'

/**
 * The real clock: `performance.now()` for a monotonic timeline (wall-clock jumps from NTP or a
 * user changing the date never move it) and `setTimeout` for timers.
 *
 * Two details of Node timers are hidden here so that callers can trust `at`:
 * - `setTimeout` clamps delays above 2^31-1 ms (about 24.8 days) to 1 ms, so a long timer is
 *   armed in slices and re-armed until its deadline;
 * - libuv measures timers against a loop time cached in whole milliseconds, so a timer can fire
 *   up to about 1 ms before `performance.now()` reaches `at`. An early timer is re-armed for the
 *   remainder, so `fire` always runs with `now() >= at`.
 */

/** setTimeout's own limit; larger delays are clamped to 1 ms by Node. */
const SET_TIMEOUT_DELAY_MS_MAX = 2 ** 31 - 1

export interface NodeClockOptions {
  /**
   * Unref every timer, so that pending timers alone do not keep the process alive (a CLI that
   * should exit once its sockets close). Default false.
   */
  readonly unrefTimers?: boolean
  /** The longest single setTimeout slice; smaller only in tests of the re-arm path. */
  readonly timeoutSliceMsMax?: number
}

export class NodeClock implements Clock {
  private readonly unrefTimers: boolean
  private readonly sliceMsMax: number
  /** Live timers only: an entry is removed when it fires or is cleared. */
  private readonly timers = new Map<TimerHandle, NodeJS.Timeout>()

  constructor(options: NodeClockOptions = {}) {
    this.unrefTimers = options.unrefTimers ?? false
    this.sliceMsMax = Math.min(
      options.timeoutSliceMsMax ?? SET_TIMEOUT_DELAY_MS_MAX,
      SET_TIMEOUT_DELAY_MS_MAX,
    )
  }

  now(): Instant {
    return instant(performance.now())
  }

  /** Calls `fire` once, at or after `at`; never synchronously, even when `at` is past. */
  setTimer(at: Instant, fire: () => void): TimerHandle {
    // An empty object is a unique identity; the brand exists only in the type system.
    const handle = {} as TimerHandle
    this.arm(handle, at, fire)
    return handle
  }

  /** Cancels a timer; a no-op when it already fired or was cleared. */
  clearTimer(handle: TimerHandle): void {
    const timeout = this.timers.get(handle)
    if (timeout === undefined) return
    clearTimeout(timeout)
    this.timers.delete(handle)
  }

  /** How many timers are armed: for tests and leak checks. */
  pendingTimers(): number {
    return this.timers.size
  }

  private arm(handle: TimerHandle, at: Instant, fire: () => void): void {
    const remaining = at - this.now()
    // Ceil: a fractional delay would otherwise round down and fire early once more.
    const delay = Math.min(Math.max(0, Math.ceil(remaining)), this.sliceMsMax)
    const timeout = setTimeout(() => {
      if (this.now() < at) {
        this.arm(handle, at, fire)
        return
      }
      this.timers.delete(handle)
      fire()
    }, delay)
    if (this.unrefTimers) timeout.unref()
    this.timers.set(handle, timeout)
  }
}

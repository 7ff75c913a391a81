import type { Clock, TimerHandle } from '../core/env.js'
import type { Instant } from '../core/time.js'

/**
 * Keeps one real (or simulated) timer armed at a core's `nextTimeout()`. Re-arming to the same
 * instant is free, so drivers can call `arm` after every input without churning timers.
 */
export class CoreTimer {
  private handle: TimerHandle | undefined
  private armedAt: Instant | undefined

  constructor(
    private readonly clock: Clock,
    private readonly fire: (now: Instant) => void,
  ) {}

  arm(next: Instant | undefined): void {
    if (next === this.armedAt) return
    this.cancel()
    this.armedAt = next
    if (next === undefined) return
    this.handle = this.clock.setTimer(next, () => {
      this.handle = undefined
      this.armedAt = undefined
      this.fire(this.clock.now())
    })
  }

  cancel(): void {
    if (this.handle !== undefined) this.clock.clearTimer(this.handle)
    this.handle = undefined
    this.armedAt = undefined
  }
}

import type { Instant } from './time.js'

/**
 * Timers as data (quinn's TimerTable): a core records the deadline of each named timer and the
 * driver asks `next()` when to call the core back. Expiry happens only when the driver calls
 * `expire(now)`, so a core never sets a real timer.
 */
export class TimerTable<Name extends string> {
  private readonly deadlines = new Map<Name, Instant>()

  set(name: Name, at: Instant): void {
    this.deadlines.set(name, at)
  }

  stop(name: Name): void {
    this.deadlines.delete(name)
  }

  get(name: Name): Instant | undefined {
    return this.deadlines.get(name)
  }

  isSet(name: Name): boolean {
    return this.deadlines.has(name)
  }

  /** Names whose deadline is at or before `now`, earliest first, removed from the table. */
  expire(now: Instant): Name[] {
    const due: [Name, Instant][] = []
    for (const [name, at] of this.deadlines) if (at <= now) due.push([name, at])
    due.sort((x, y) => x[1] - y[1])
    for (const [name] of due) this.deadlines.delete(name)
    return due.map(([name]) => name)
  }

  /** The earliest deadline, or undefined when no timer is set. */
  next(): Instant | undefined {
    let earliest: Instant | undefined
    for (const at of this.deadlines.values())
      if (earliest === undefined || at < earliest) earliest = at
    return earliest
  }
}

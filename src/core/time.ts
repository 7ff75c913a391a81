/**
 * Time as data. Protocol cores receive `now: Instant` on every input and never read a clock;
 * only drivers (the real clock, the simulator's scheduler) own one. Both types are milliseconds
 * as plain numbers, branded so that an instant cannot be passed where a span is expected.
 */

/** A point on a monotonic timeline, in milliseconds. */
export type Instant = number & { readonly __brand: 'Instant' }
/** A span of time, in milliseconds. */
export type Duration = number & { readonly __brand: 'Duration' }

export const instant = (milliseconds: number): Instant => milliseconds as Instant
export const ms = (milliseconds: number): Duration => milliseconds as Duration
export const seconds = (count: number): Duration => (count * 1000) as Duration
export const minutes = (count: number): Duration => (count * 60_000) as Duration

/** The instant `span` after `now`. */
export const after = (now: Instant, span: Duration): Instant => (now + span) as Instant
/** The span from `earlier` to `later` (negative when they are the other way round). */
export const elapsed = (earlier: Instant, later: Instant): Duration => (later - earlier) as Duration

export const earliest = (a: Instant | undefined, b: Instant | undefined): Instant | undefined =>
  a === undefined ? b : b === undefined ? a : a <= b ? a : b

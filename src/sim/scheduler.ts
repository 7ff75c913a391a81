import type { Clock, TimerHandle } from '../core/env.js'
import { assert } from '../core/errors.js'
import type { Duration, Instant } from '../core/time.js'
import { EventHeap } from './heap.js'

/**
 * The single timeline of a simulation (TigerBeetle's VOPR, libsimulator). Virtual time is in
 * milliseconds; events run in (time, sequence) order, so events at the same instant run in the
 * order they were scheduled and a run is a pure function of its seed. Everything happens inside
 * `run`: there are no real timers and no promises, so no continuation can slip in between two
 * events.
 *
 * Events are stored without closures where the caller allows it: `schedule(at, handler,
 * context)` keeps a shared handler and its context in flat slot arrays. `setTimer` (the `Clock`
 * port) wraps the caller's closure the same way. Cancellation is lazy and O(1): the slot's
 * handler is dropped and the heap entry is skipped when it surfaces.
 */

/** The owner of an event: a host's life. Events of a life that ended are skipped. */
export interface EventOwner {
  readonly alive: boolean
}

/** Why `run` returned. */
export type StopReason =
  /** Nothing is left to run. */
  | 'idle'
  /** The next event is after `until`; the clock stands at `until`. */
  | 'until'
  /** `stepsMax` events ran; more are pending. */
  | 'steps_max'

export interface RunOptions {
  /** Runs events at or before this instant, then sets the clock to it. */
  readonly until?: Instant
  /** Runs at most this many events. */
  readonly stepsMax?: number
}

export interface RunResult {
  readonly reason: StopReason
  /** Events run by this call. */
  readonly steps: number
  readonly now: Instant
}

/** Called before each event runs, with its time and sequence number. */
export type EventHook = (at: Instant, seq: number) => void

/** A cancellable event: its slot and the slot's generation, packed into one number. */
export type EventId = number & { readonly __brand: 'EventId' }

type Handler = (context: unknown) => void

/** `runUntilIdle` stops after this many events unless told otherwise. */
export const RUN_STEPS_MAX_DEFAULT = 100_000_000
/** Slots and generations share one safe integer: slot + generation * SLOT_SPAN. */
const SLOT_SPAN = 2 ** 24
/** Generations wrap here, so that the packed id stays a safe integer. */
const GENERATION_SPAN = 2 ** 29

const callThunk: Handler = (fn) => (fn as () => void)()
const SLOT_FIELDS = 3

export class Scheduler implements Clock {
  /** Called before every event; leave undefined (the default) for full speed. */
  onEvent: EventHook | undefined = undefined

  private time = 0
  private seq = 0
  private executed = 0
  private running = false
  private readonly heap = new EventHeap()
  /**
   * Per slot, interleaved so that one event's data shares a cache line: handler, context,
   * owner at `slot * SLOT_FIELDS`. With a million pending events, separate arrays cost a cache
   * miss each.
   */
  private readonly slotData: unknown[] = []
  private readonly generations: number[] = []
  private readonly freeSlots: number[] = []

  now(): Instant {
    return this.time as Instant
  }

  /** Events waiting in the queue, including cancelled ones not yet skipped. */
  get pending(): number {
    return this.heap.size
  }

  /** Events run since the scheduler was made. */
  get eventsRun(): number {
    return this.executed
  }

  /** The `Clock` port; with an `owner`, the timer dies with it (see `schedule`). */
  setTimer(at: Instant, fire: () => void, owner?: EventOwner): TimerHandle {
    return this.schedule(at, callThunk, fire, owner) as number as unknown as TimerHandle
  }

  clearTimer(handle: TimerHandle): void {
    this.cancel(handle as unknown as EventId)
  }

  /**
   * Runs `handler(context)` at `at` (or now, when `at` is in the past). Prefer a shared handler
   * and a context object over a fresh closure on hot paths. With an `owner`, the event is
   * skipped when the owner is no longer alive (a crashed host's timers die with it).
   */
  schedule<T>(at: number, handler: (context: T) => void, context: T, owner?: EventOwner): EventId {
    assert(!Number.isNaN(at), 'event time is NaN')
    const slot = this.allocateSlot()
    const base = slot * SLOT_FIELDS
    const data = this.slotData
    data[base] = handler
    data[base + 1] = context
    data[base + 2] = owner
    this.heap.push(at > this.time ? at : this.time, this.seq++, slot)
    return ((this.generations[slot] as number) * SLOT_SPAN + slot) as EventId
  }

  /** Runs `fn` later at the current instant, after the events already scheduled for it. */
  defer(fn: () => void, owner?: EventOwner): void {
    this.schedule(this.time, callThunk, fn, owner)
  }

  /** Cancels an event that has not run yet; a no-op for one that ran or was cancelled. */
  cancel(id: EventId): void {
    const slot = id % SLOT_SPAN
    const generation = (id - slot) / SLOT_SPAN
    if (this.generations[slot] !== generation) return
    this.slotData[slot * SLOT_FIELDS] = undefined
    this.slotData[slot * SLOT_FIELDS + 1] = undefined
    this.slotData[slot * SLOT_FIELDS + 2] = undefined
  }

  /** Runs events in order until idle, past `until`, or `stepsMax` events. Not re-entrant. */
  run(options: RunOptions = {}): RunResult {
    assert(!this.running, 'Scheduler.run called from inside an event')
    const until = options.until ?? Number.POSITIVE_INFINITY
    const stepsMax = options.stepsMax ?? RUN_STEPS_MAX_DEFAULT
    const heap = this.heap
    const data = this.slotData
    let steps = 0
    let reason: StopReason = 'idle'
    this.running = true
    try {
      while (heap.size > 0) {
        const at = heap.peekTime()
        if (at > until) {
          reason = 'until'
          break
        }
        if (steps >= stepsMax) {
          reason = 'steps_max'
          break
        }
        const seq = heap.peekSeq()
        const slot = heap.peekSlot()
        heap.pop()
        const base = slot * SLOT_FIELDS
        const handler = data[base] as Handler | undefined
        const context = data[base + 1]
        const owner = data[base + 2] as EventOwner | undefined
        this.releaseSlot(slot)
        if (handler === undefined || (owner !== undefined && !owner.alive)) continue
        this.time = at
        steps++
        this.executed++
        if (this.onEvent !== undefined) this.onEvent(at as Instant, seq)
        handler(context)
      }
    } finally {
      this.running = false
    }
    if (reason !== 'steps_max' && until !== Number.POSITIVE_INFINITY && until > this.time) {
      this.time = until
    }
    return { reason, steps, now: this.time as Instant }
  }

  /** Runs until nothing is pending (or `stepsMax` events ran). */
  runUntilIdle(stepsMax: number = RUN_STEPS_MAX_DEFAULT): RunResult {
    return this.run({ stepsMax })
  }

  /** Runs for `span` of virtual time from now. */
  runFor(span: Duration, stepsMax: number = RUN_STEPS_MAX_DEFAULT): RunResult {
    return this.run({ until: (this.time + span) as Instant, stepsMax })
  }

  private allocateSlot(): number {
    const free = this.freeSlots.pop()
    if (free !== undefined) return free
    const slot = this.generations.length
    assert(slot < SLOT_SPAN, `more than ${SLOT_SPAN} pending events`)
    this.slotData.push(undefined, undefined, undefined)
    this.generations.push(0)
    return slot
  }

  private releaseSlot(slot: number): void {
    const base = slot * SLOT_FIELDS
    this.slotData[base] = undefined
    this.slotData[base + 1] = undefined
    this.slotData[base + 2] = undefined
    this.generations[slot] = ((this.generations[slot] as number) + 1) % GENERATION_SPAN
    this.freeSlots.push(slot)
  }
}

import type { Instant } from '../../core/time.js'

/**
 * LEDBAT (RFC 6817) as libutp and libtorrent run it for uTP: the window grows while the
 * one-way queueing delay we cause stays under the target and shrinks as it passes it, so a
 * uTP flow yields to TCP on a shared bottleneck instead of filling its queue.
 *
 * - The delay sample is the far side's `timestamp_difference` (its receive time minus our
 *   send time): a one-way delay plus an unknown clock offset. The base delay is the least
 *   sample over the last `BASE_HISTORY` minutes (kept as per-minute minima, so a route change
 *   is forgotten); the queueing delay is a sample minus the base.
 * - Per ack: `cwnd += GAIN * (target - delay) / target * acked / cwnd`, so at most GAIN bytes
 *   per round trip up, and as fast down when the delay is twice the target.
 * - Slow start (as libtorrent): the window grows by the bytes acked until a loss or until the
 *   queueing delay passes half the target.
 * - A loss halves the window (at most once per round trip); a timeout drops it to one packet.
 */

export const TARGET_DELAY_MICROS = 100_000
export const GAIN_BYTES_PER_RTT = 3000
const BASE_HISTORY = 10
const MINUTE_MS = 60_000
/** Current delay: the least of the last few samples, so one slow packet does not count. */
const CURRENT_FILTER = 3

export interface LedbatLimits {
  readonly packetBytes: number
  /** The window never passes this (our send buffer and the far side's receive window). */
  readonly windowBytesMax: number
}

export class Ledbat {
  /** The congestion window in bytes. */
  window: number
  slowStart = true
  private readonly baseMinutes: number[] = []
  private baseMinuteStart: Instant | undefined
  private readonly recent: number[] = []
  /** Until this instant a further loss does not cut the window again. */
  private cutUntil: Instant | undefined

  constructor(private readonly limits: LedbatLimits) {
    this.window = 2 * limits.packetBytes
  }

  /** The least delay sample seen over the history: the propagation delay plus clock offset. */
  get baseDelay(): number | undefined {
    let least: number | undefined
    for (const sample of this.baseMinutes)
      if (least === undefined || signed(sample - least) < 0) least = sample
    return least
  }

  /** The queueing delay we see now, microseconds (0 before any sample). */
  queueingDelay(): number {
    const base = this.baseDelay
    if (base === undefined || this.recent.length === 0) return 0
    let current = this.recent[0] as number
    for (const sample of this.recent) if (signed(sample - current) < 0) current = sample
    return Math.max(0, signed(current - base))
  }

  /** A `timestamp_difference` from the far side; 0 means it has not measured one yet. */
  delaySample(now: Instant, sample: number): void {
    if (sample === 0) return
    if (this.baseMinuteStart === undefined || now - this.baseMinuteStart >= MINUTE_MS) {
      this.baseMinuteStart = now
      this.baseMinutes.push(sample)
      if (this.baseMinutes.length > BASE_HISTORY) this.baseMinutes.shift()
    } else {
      const last = this.baseMinutes.length - 1
      if (signed(sample - (this.baseMinutes[last] as number)) < 0) this.baseMinutes[last] = sample
    }
    this.recent.push(sample)
    if (this.recent.length > CURRENT_FILTER) this.recent.shift()
  }

  /** Bytes newly acked (cumulatively or selectively). */
  acked(bytes: number): void {
    if (bytes <= 0) return
    const delay = this.queueingDelay()
    if (this.slowStart) {
      if (delay > TARGET_DELAY_MICROS / 2) this.slowStart = false
      else return this.setWindow(this.window + bytes)
    }
    const offTarget = (TARGET_DELAY_MICROS - delay) / TARGET_DELAY_MICROS
    const windowFactor = Math.min(bytes, this.window) / Math.max(this.window, bytes)
    this.setWindow(this.window + GAIN_BYTES_PER_RTT * offTarget * windowFactor)
  }

  /** A packet was lost (duplicate acks or selective acks past it). */
  lost(now: Instant, rttMs: number): void {
    this.slowStart = false
    if (this.cutUntil !== undefined && now < this.cutUntil) return
    this.cutUntil = (now + Math.max(rttMs, 1)) as Instant
    this.setWindow(this.window / 2)
  }

  /** Nothing came back within the retransmission timeout. */
  timedOut(): void {
    this.slowStart = true
    this.window = this.limits.packetBytes
  }

  private setWindow(bytes: number): void {
    const floor = 2 * this.limits.packetBytes
    this.window = Math.min(this.limits.windowBytesMax, Math.max(floor, bytes))
  }
}

/** A 32-bit microsecond difference as a signed number (timestamps wrap). */
export const signed = (difference: number): number => difference | 0

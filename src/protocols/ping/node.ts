import { addressKey, type Address } from '../../core/address.js'
import type { DatagramCore, Output } from '../../core/core.js'
import { assert } from '../../core/errors.js'
import type { Random } from '../../core/random.js'
import { after, elapsed, type Duration, type Instant } from '../../core/time.js'
import { DEFAULT_PING_CONFIG, type PingConfig } from './config.js'
import type { PingEvent, PingMessage } from './messages.js'
import { RttEstimator } from './rtt-estimator.js'

interface Inflight {
  readonly to: Address
  readonly key: string
  readonly sentAt: Instant
  readonly deadline: Instant
}

interface Series {
  readonly to: Address
  remaining: number
  readonly interval: Duration
  readonly paddingBytes: number
  nextAt: Instant
}

export interface PingStats {
  readonly pingsSent: number
  readonly pongsReceived: number
  readonly timeouts: number
  readonly pingsAnswered: number
  /** Pongs that matched no outstanding ping (late after a timeout, or spoofed). */
  readonly pongsUnmatched: number
  readonly inflight: number
}

/**
 * The ping core: answers pings, sends pings (one-off or as a series), measures RTT and times
 * out pings with a per-peer adaptive timeout. Sans-IO: the driver feeds datagrams and timeouts.
 */
export class PingNode implements DatagramCore<PingMessage, PingEvent> {
  private readonly outputs: Output<PingMessage, PingEvent>[] = []
  private readonly inflight = new Map<number, Inflight>()
  private readonly estimators = new Map<string, RttEstimator>()
  private readonly series: Series[] = []
  private nextTid: number
  private stats = { pingsSent: 0, pongsReceived: 0, timeouts: 0, pingsAnswered: 0, unmatched: 0 }

  constructor(
    random: Random,
    private readonly config: PingConfig = DEFAULT_PING_CONFIG,
  ) {
    // A random starting tid makes a stale pong from a previous run unlikely to match.
    this.nextTid = random.int(0x1_0000_0000)
  }

  receive(now: Instant, from: Address, message: PingMessage): void {
    if (message.type === 'ping') {
      this.stats.pingsAnswered++
      this.outputs.push({ type: 'send', to: from, message: { type: 'pong', tid: message.tid } })
      this.outputs.push({ type: 'event', event: { type: 'ping_received', from: addressKey(from) } })
      return
    }
    this.onPong(now, from, message.tid)
  }

  /**
   * Sends one ping now. Returns its transaction id, or undefined when `inflightMax` pings are
   * already outstanding.
   */
  ping(now: Instant, to: Address, paddingBytes = 0): number | undefined {
    if (this.inflight.size >= this.config.inflightMax) return undefined
    const tid = this.nextTid
    this.nextTid = (this.nextTid + 1) >>> 0
    const key = addressKey(to)
    const deadline = after(now, this.estimatorFor(key).rto())
    this.inflight.set(tid, { to, key, sentAt: now, deadline })
    this.stats.pingsSent++
    this.outputs.push({ type: 'send', to, message: { type: 'ping', tid, paddingBytes } })
    return tid
  }

  /** Pings `to` `count` times, one every `interval`, starting now. False when at `seriesMax`. */
  startSeries(
    now: Instant,
    to: Address,
    count: number,
    interval: Duration,
    paddingBytes = 0,
  ): boolean {
    assert(Number.isInteger(count) && count > 0, `series count must be a positive integer`)
    assert(interval >= this.config.seriesIntervalMin, `series interval below the minimum`)
    if (this.series.length >= this.config.seriesMax) return false
    this.series.push({ to, remaining: count, interval, paddingBytes, nextAt: now })
    this.runSeries(now)
    return true
  }

  timeout(now: Instant): void {
    for (const [tid, entry] of this.inflight) {
      if (entry.deadline > now) continue
      this.inflight.delete(tid)
      this.stats.timeouts++
      this.outputs.push({ type: 'event', event: { type: 'ping_timed_out', to: entry.key, tid } })
    }
    this.runSeries(now)
  }

  nextTimeout(): Instant | undefined {
    let next: Instant | undefined
    for (const entry of this.inflight.values()) {
      if (next === undefined || entry.deadline < next) next = entry.deadline
    }
    for (const s of this.series) if (next === undefined || s.nextAt < next) next = s.nextAt
    return next
  }

  takeOutputs(): Output<PingMessage, PingEvent>[] {
    return this.outputs.splice(0)
  }

  /** True when no ping is outstanding and no series has pings left to send. */
  isIdle(): boolean {
    return this.inflight.size === 0 && this.series.length === 0
  }

  inspect(): PingStats {
    const s = this.stats
    return {
      pingsSent: s.pingsSent,
      pongsReceived: s.pongsReceived,
      timeouts: s.timeouts,
      pingsAnswered: s.pingsAnswered,
      pongsUnmatched: s.unmatched,
      inflight: this.inflight.size,
    }
  }

  /** The smoothed RTT to a peer in ms, when measured. */
  smoothedRttMs(to: Address): number | undefined {
    return this.estimators.get(addressKey(to))?.smoothedMs
  }

  private onPong(now: Instant, from: Address, tid: number): void {
    const entry = this.inflight.get(tid)
    const key = addressKey(from)
    // The pong must come from the address we pinged: a tid alone is guessable.
    if (entry === undefined || entry.key !== key) {
      this.stats.unmatched++
      return
    }
    this.inflight.delete(tid)
    this.stats.pongsReceived++
    const rttMs = elapsed(entry.sentAt, now)
    this.estimatorFor(key).sample(rttMs)
    this.outputs.push({ type: 'event', event: { type: 'pong_received', from: key, tid, rttMs } })
  }

  private runSeries(now: Instant): void {
    for (let i = 0; i < this.series.length;) {
      const s = this.series[i] as Series
      while (s.remaining > 0 && s.nextAt <= now) {
        if (this.ping(now, s.to, s.paddingBytes) === undefined) break
        s.remaining--
        s.nextAt = after(s.nextAt, s.interval)
      }
      if (s.remaining === 0) this.series.splice(i, 1)
      else i++
    }
  }

  private estimatorFor(key: string): RttEstimator {
    let estimator = this.estimators.get(key)
    if (estimator !== undefined) {
      // Re-insert to keep the Map in least-recently-used order.
      this.estimators.delete(key)
      this.estimators.set(key, estimator)
      return estimator
    }
    estimator = new RttEstimator(this.config.rtt)
    this.estimators.set(key, estimator)
    if (this.estimators.size > this.config.peersMax) {
      const oldest = this.estimators.keys().next().value
      if (oldest !== undefined) this.estimators.delete(oldest)
    }
    return estimator
  }
}

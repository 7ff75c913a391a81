/**
 * Our queries in flight: transaction ids (2 bytes, never two alike in flight), deadlines from
 * one adaptive RTT estimate, and the counters `inspect` reports. It builds the query messages
 * but sends nothing itself: the node pushes what `open` returns to its outputs.
 */
import { addressKey, type Address } from '../../core/address.js'
import type { Id160 } from '../../core/id.js'
import type { Random } from '../../core/random.js'
import { after, elapsed, type Duration, type Instant } from '../../core/time.js'
import type { DhtConfig } from './config.js'
import type { KrpcMessage, KrpcQuery } from './messages.js'
import type { Operation } from './operation.js'
import { RttEstimate } from './rtt.js'

export type Role =
  'lookup' | 'seed' | 'store' | 'ping' | 'table_ping' | 'sample' | 'fill' | 'refresh'

export interface Pending {
  readonly to: Address
  /** The id we addressed the node by, when we knew one (an answer under another id says it is gone). */
  readonly toId: Id160 | undefined
  readonly key: string
  readonly sentAt: Instant
  readonly deadline: Instant
  readonly role: Role
  readonly op: Operation | undefined
  /** Lookup queries: when the short timeout frees the query's alpha slot (undefined once it has). */
  softDeadline: Instant | undefined
}

export class Requests {
  private readonly pending = new Map<number, Pending>()
  private readonly rtt: RttEstimate
  private nextTid: number
  queriesSent = 0
  maintenance = 0
  unmatched = 0
  timeouts = 0

  constructor(
    private readonly config: DhtConfig,
    random: Random,
  ) {
    this.rtt = new RttEstimate(config.timeoutMin, config.timeoutMax, config.timeoutInitial)
    this.nextTid = random.int(0x10000)
  }

  get size(): number {
    return this.pending.size
  }

  get smoothedRttMs(): number | undefined {
    return this.rtt.smoothedMs
  }

  /** Records a query to `to` and returns the message to send. */
  open(
    now: Instant,
    ownId: Id160,
    to: Address,
    query: KrpcQuery,
    role: Role,
    op: Operation | undefined,
    toId?: Id160,
  ): KrpcMessage {
    let tid = this.nextTid
    for (let tries = 0; this.pending.has(tid) && tries < 0x10000; tries++) tid = (tid + 1) & 0xffff
    this.nextTid = (tid + 1) & 0xffff
    this.pending.set(tid, {
      to,
      toId,
      key: addressKey(to),
      sentAt: now,
      deadline: after(now, this.rtt.timeout()),
      role,
      op,
      softDeadline: role === 'lookup' ? after(now, this.shortTimeout()) : undefined,
    })
    this.queriesSent++
    if (op !== undefined) op.messages++
    const upkeep = role === 'table_ping' || role === 'fill' || role === 'refresh'
    if (upkeep || op?.kind === 'refresh') this.maintenance++
    const version = this.config.version
    return {
      type: 'query',
      t: Uint8Array.of(tid >>> 8, tid & 0xff),
      ...(version === undefined ? {} : { version }),
      id: ownId,
      readOnly: this.config.readOnly,
      query,
    }
  }

  /** The request a reply from `from` with transaction id `t` answers, now closed; or undefined. */
  match(now: Instant, from: Address, t: Uint8Array): Pending | undefined {
    const tid = t.length === 2 ? ((t[0] as number) << 8) | (t[1] as number) : -1
    const p = this.pending.get(tid)
    if (p === undefined || p.to.port !== from.port || p.to.host !== from.host) {
      this.unmatched++
      return undefined
    }
    this.pending.delete(tid)
    this.rtt.sample(elapsed(p.sentAt, now))
    return p
  }

  /** Closes and returns every request past its deadline. */
  expire(now: Instant): Pending[] {
    const out: Pending[] = []
    for (const [tid, p] of this.pending) {
      if (p.deadline > now) continue
      this.pending.delete(tid)
      this.timeouts++
      out.push(p)
    }
    return out
  }

  /** Lookup requests past their short timeout (each reported once); they stay in flight. */
  slow(now: Instant): Pending[] {
    const out: Pending[] = []
    for (const p of this.pending.values()) {
      if (p.softDeadline === undefined || p.softDeadline > now) continue
      p.softDeadline = undefined
      out.push(p)
    }
    return out
  }

  /** The earliest deadline (short ones included), or `limit` when none is earlier. */
  nextDeadline(limit: number): number {
    let next = limit
    for (const p of this.pending.values()) {
      if (p.deadline < next) next = p.deadline
      if (p.softDeadline !== undefined && p.softDeadline < next) next = p.softDeadline
    }
    return next
  }

  /**
   * The `shortTimeoutQuantile` of the recent RTTs (libtorrent's short timeout, adaptive), or
   * twice the smoothed RTT until there are enough samples (half the initial timeout before
   * any), within the full timeout.
   */
  private shortTimeout(): Duration {
    const full = this.rtt.timeout()
    const q = this.config.shortTimeoutQuantile
    const quantile = q > 0 ? this.rtt.quantileMs(q) : undefined
    const srtt = this.rtt.smoothedMs
    const short = quantile ?? (srtt === undefined ? full / 2 : 2 * srtt)
    return Math.min(full, Math.max(1, Math.round(short))) as Duration
  }
}

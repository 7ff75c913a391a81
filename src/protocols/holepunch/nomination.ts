import { after, ms, type Instant } from '../../core/time.js'
import { isRelayedPair } from './candidate.js'
import type { AgentConfig } from './config.js'
import type { CheckList, Pair } from './pairs.js'

/**
 * The checking phase's decisions (RFC 8445 sections 8.1 and 7.2.5.3): which succeeded pair the
 * controlling agent nominates, and when the checks have failed.
 *
 * A direct pair is nominated as soon as it succeeds; a relayed one only when no direct pair is
 * still waiting or in progress, or `nominationWaitMs` after the first relayed success (the
 * relay is the fallback, and a direct pair found a moment later saves every datagram a detour).
 * The checks fail when every pair has failed, or at `checkTimeoutMs`.
 */
/** What the TCP component has: a valid direct pair, one still being checked. */
export interface TcpDirect {
  readonly valid: boolean
  readonly pending: boolean
}
const NO_TCP: TcpDirect = { valid: false, pending: false }

export class Nomination {
  private nominating: Pair | undefined
  private firstRelayedValidAt: Instant | undefined
  private deadline: Instant | undefined
  private startedAt: Instant | undefined

  constructor(
    private readonly config: Pick<AgentConfig, 'nominationWaitMs' | 'checkTimeoutMs'>,
    private readonly controlling: boolean,
  ) {}

  /** The checks start now. */
  begin(now: Instant): void {
    this.startedAt = now
    this.deadline = after(now, ms(this.config.checkTimeoutMs))
  }

  /** Milliseconds since the checks started (the reports' `elapsedMs`). */
  elapsedMs(now: Instant): number {
    return now - (this.startedAt ?? now)
  }

  /** A check on `pair` succeeded (for the first time). */
  succeeded(now: Instant, pair: Pair): void {
    if (isRelayedPair(pair.local, pair.remote)) this.firstRelayedValidAt ??= now
  }

  /** A UDP pair is being nominated. */
  get busy(): boolean {
    return this.nominating !== undefined
  }

  /**
   * Controlling side: the pair to nominate now, if any; it is then being nominated. `tcp`:
   * the TCP component's direct pairs, which come before any relayed pair (a valid one at
   * once; one still being checked as a direct pair still pending).
   */
  pick(now: Instant, checkList: CheckList, tcp = NO_TCP): Pair | undefined {
    if (!this.controlling || this.nominating !== undefined) return undefined
    const best = checkList.bestSucceeded()
    if (best === undefined) return undefined
    if (isRelayedPair(best.local, best.remote)) {
      if (tcp.valid) return undefined
      const due = this.relayedDue()
      const directPending = checkList.someDirectPending() || tcp.pending
      if ((due === undefined || now < due) && directPending) return undefined
    }
    this.nominating = best
    return best
  }

  /** The nomination on `pair` went unanswered: that pair is failed, another may be picked. */
  nominationFailed(pair: Pair): void {
    if (this.nominating !== pair) return
    pair.state = 'failed'
    this.nominating = undefined
  }

  /** Why the checks failed, or undefined while a pair may still succeed (or has). */
  failure(
    now: Instant,
    checkList: CheckList,
    tcpAlive = false,
  ): 'timeout' | 'no_pair_succeeded' | undefined {
    const timedOut = this.deadline !== undefined && now >= this.deadline
    if ((checkList.someAlive() || tcpAlive) && !timedOut) return undefined
    return timedOut ? 'timeout' : 'no_pair_succeeded'
  }

  nextTimeout(checkList: CheckList): Instant | undefined {
    const mayNominate = this.controlling && this.nominating === undefined
    const relayedDue =
      mayNominate && checkList.someRelayedSucceeded() ? this.relayedDue() : undefined
    if (relayedDue === undefined) return this.deadline
    if (this.deadline === undefined) return relayedDue
    return relayedDue < this.deadline ? relayedDue : this.deadline
  }

  private relayedDue(): Instant | undefined {
    const first = this.firstRelayedValidAt
    return first === undefined ? undefined : after(first, ms(this.config.nominationWaitMs))
  }
}

import { after, ms, type Instant } from '../../core/time.js'
import { isRelayedPair } from './candidate.js'
import type { AgentConfig } from './config.js'
import type { Pair } from './pairs.js'

/**
 * The selected pair of a connected agent and the timers that move it (sans-IO policy: it says
 * what is due, the agent does it).
 *
 * - Keep-alive: a Binding indication on the selected pair after `keepaliveMs` without a send.
 * - Upgrading (relayed → direct): after a relayed selection, a window of `upgradeWindowMs`
 *   during which direct pairs are still checked, failed ones again every `upgradeRetryMs`.
 * - Falling back (direct → relayed): when a direct pair replaced a relayed one, the relayed
 *   pair is kept as the fallback. Its own keep-alives hold the relay's allocation and
 *   permissions and the NAT mappings towards the relay; consent checks (RFC 7675 style: a
 *   Binding request on the selected pair every `consentIntervalMs`) watch the direct path.
 *   When no check on it has been answered for `fallbackAfterMs`, the session goes back to the
 *   relayed pair (the same session object: the application only sees its datagrams arrive on)
 *   and the upgrade window opens again, so a direct path that comes back is taken again.
 */
export type PathAction =
  /** A Binding indication on this pair (nothing else was sent on it for a while). */
  | { readonly type: 'keepalive'; readonly pair: Pair }
  /** A consent check (a Binding request) on the selected direct pair. */
  | { readonly type: 'consent'; readonly pair: Pair }
  /** Upgrading: direct pairs that failed get another round. */
  | { readonly type: 'retry_direct' }
  /** The upgrade window closed without a direct pair. */
  | { readonly type: 'upgrade_over' }
  /** The direct pair stopped answering: the session is back on `to`, `from` is given up. */
  | { readonly type: 'fell_back'; readonly from: Pair; readonly to: Pair }

export type PathTimers = Pick<
  AgentConfig,
  'keepaliveMs' | 'upgradeWindowMs' | 'upgradeRetryMs' | 'consentIntervalMs' | 'fallbackAfterMs'
>

interface Fallback {
  readonly pair: Pair
  /** Last send on the fallback pair (its keep-alives). */
  lastSentAt: Instant
  /** Last answered consent check on the selected pair (or the move to it). */
  freshAt: Instant
  nextConsentAt: Instant
}

export class PathSelection {
  private selectedPair: Pair | undefined
  private lastSentOnSelected: Instant | undefined
  private upgradeUntil: Instant | undefined
  private upgradeRetryAt: Instant | undefined
  private fallback: Fallback | undefined
  /** Upgrading, controlling side: the direct pair being nominated. */
  upgradeNominating: Pair | undefined

  constructor(private readonly timers: PathTimers) {}

  get selected(): Pair | undefined {
    return this.selectedPair
  }

  /** Connected through the relay and still checking the direct pairs. */
  get upgrading(): boolean {
    return this.upgradeUntil !== undefined
  }

  /** The relayed pair a direct session would fall back to. */
  get fallbackPair(): Pair | undefined {
    return this.fallback?.pair
  }

  /** The first selection; `upgradable`: a relayed pair with direct pairs still to try. */
  selectFirst(now: Instant, pair: Pair, upgradable: boolean): void {
    this.selectedPair = pair
    this.lastSentOnSelected = now
    if (upgradable && this.timers.upgradeWindowMs > 0) this.openUpgradeWindow(now)
  }

  /** A direct pair replaces the relayed selection; the relayed one is kept to fall back to. */
  upgradeTo(now: Instant, pair: Pair): void {
    const previous = this.selectedPair
    this.selectedPair = pair
    this.lastSentOnSelected = now
    this.closeUpgradeWindow()
    const keep =
      previous !== undefined &&
      isRelayedPair(previous.local, previous.remote) &&
      this.timers.fallbackAfterMs > 0
    this.fallback = keep
      ? {
          pair: previous,
          lastSentAt: now,
          freshAt: now,
          nextConsentAt: after(now, ms(this.timers.consentIntervalMs)),
        }
      : undefined
  }

  /** An answered check on the selected pair: the direct path still works. */
  fresh(now: Instant, pair: Pair): void {
    if (this.fallback !== undefined && pair === this.selectedPair) this.fallback.freshAt = now
  }

  /** Something was sent on `pair` (application data, a check, a keep-alive). */
  sent(now: Instant, pair: Pair): void {
    if (pair === this.selectedPair) this.lastSentOnSelected = now
    if (this.fallback !== undefined && pair === this.fallback.pair) this.fallback.lastSentAt = now
  }

  /** Upgrading: the nomination on `pair` went unanswered; the next direct success may try. */
  nominationFailed(pair: Pair): void {
    if (this.upgradeNominating === pair) this.upgradeNominating = undefined
  }

  closeUpgradeWindow(): void {
    this.upgradeUntil = undefined
    this.upgradeRetryAt = undefined
    this.upgradeNominating = undefined
  }

  /** What is due at `now`, in the order to do it; the state has moved on already. */
  due(now: Instant): PathAction[] {
    const actions: PathAction[] = []
    const selected = this.selectedPair
    if (selected === undefined) return actions
    if (this.upgradeUntil !== undefined && now >= this.upgradeUntil) {
      this.closeUpgradeWindow()
      actions.push({ type: 'upgrade_over' })
    }
    if (this.upgradeRetryAt !== undefined && now >= this.upgradeRetryAt) {
      this.upgradeRetryAt = after(now, ms(this.timers.upgradeRetryMs))
      actions.push({ type: 'retry_direct' })
    }
    const fallback = this.fallback
    if (fallback !== undefined) {
      if (now >= after(fallback.freshAt, ms(this.timers.fallbackAfterMs))) {
        return [...actions, this.fallBack(now, selected, fallback)]
      }
      if (now >= fallback.nextConsentAt) {
        fallback.nextConsentAt = after(now, ms(this.timers.consentIntervalMs))
        actions.push({ type: 'consent', pair: selected })
      }
      if (now >= after(fallback.lastSentAt, ms(this.timers.keepaliveMs))) {
        fallback.lastSentAt = now
        actions.push({ type: 'keepalive', pair: fallback.pair })
      }
    }
    // the same sum as nextTimeout's: a difference could round below it and never fire
    const last = this.lastSentOnSelected
    if (last !== undefined && now >= after(last, ms(this.timers.keepaliveMs))) {
      this.lastSentOnSelected = now
      actions.push({ type: 'keepalive', pair: selected })
    }
    return actions
  }

  nextTimeout(): Instant | undefined {
    const fallback = this.fallback
    const times = [
      this.lastSentOnSelected === undefined
        ? undefined
        : after(this.lastSentOnSelected, ms(this.timers.keepaliveMs)),
      this.upgradeUntil,
      this.upgradeRetryAt,
      fallback?.nextConsentAt,
      fallback === undefined ? undefined : after(fallback.freshAt, ms(this.timers.fallbackAfterMs)),
      fallback === undefined ? undefined : after(fallback.lastSentAt, ms(this.timers.keepaliveMs)),
    ]
    return earliest(times)
  }

  private fallBack(now: Instant, from: Pair, fallback: Fallback): PathAction {
    this.fallback = undefined
    this.selectedPair = fallback.pair
    this.lastSentOnSelected = fallback.lastSentAt
    this.openUpgradeWindow(now)
    return { type: 'fell_back', from, to: fallback.pair }
  }

  private openUpgradeWindow(now: Instant): void {
    this.upgradeUntil = after(now, ms(this.timers.upgradeWindowMs))
    this.upgradeRetryAt = after(now, ms(this.timers.upgradeRetryMs))
  }
}

/** The earliest of some instants, or undefined when there is none. */
export function earliest(times: readonly (Instant | undefined)[]): Instant | undefined {
  let next: Instant | undefined
  for (const at of times) if (at !== undefined && (next === undefined || at < next)) next = at
  return next
}

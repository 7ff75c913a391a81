import { sameAddress, type Address } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import type { Random } from '../../core/random.js'
import { after, ms, type Instant } from '../../core/time.js'
import {
  StunMethod,
  decodeStun,
  findAttribute,
  isStunMessage,
  shortTermKey,
  verifyIntegrity,
  type DecodedStun,
} from '../stun/index.js'
import { bindingIndication, bindingSuccess, connectivityCheck, iceToken } from './binding.js'
import {
  candidatePriority,
  isRelayedPair,
  pairKey,
  type Candidate,
  type CandidateBase,
} from './candidate.js'
import { DEFAULT_AGENT_CONFIG, type AgentConfig } from './config.js'
import { candidateFromDescription, type SessionDescription } from './description.js'
import type { AgentEvent, AgentOutput, ConnectionReport } from './events.js'
import { Gatherer } from './gatherer.js'
import { Nomination } from './nomination.js'
import {
  CheckList,
  connectionReport,
  remoteCandidateFor,
  type Pair,
  type PendingRequest,
} from './pairs.js'
import { ReceivePath } from './path-switch.js'
import { RelayLeg } from './relay-leg.js'
import { PathSelection, earliest, type PathAction } from './selection.js'
import { StunTransactions, type Transaction } from './transactions.js'

/**
 * An ICE agent (RFC 8445) for one UDP component, sans-IO. It owns one socket (the driver's)
 * and, when given a relay, one relay-lite or TURN allocation reached from that socket.
 *
 * 1. Gathering (gatherer.ts): host, server-reflexive and relayed candidates; then `gathered`,
 *    and the description goes to the other agent, whose own comes back through `setRemote`.
 * 2. Checks: one pair per (base, remote candidate), highest priority first, one new check
 *    every `checkIntervalMs` (Ta), triggered checks first; a request received makes a
 *    triggered check on its pair, which is how both sides punch their NATs at the same time.
 * 3. Nomination (nomination.ts): a direct pair at once, a relayed one after a wait; a check
 *    with USE-CANDIDATE, and the controlled side selects the pair it sees it on.
 * 4. Connected (selection.ts): data on the selected pair, keep-alives; a relayed session moves
 *    to a direct pair when one comes up (`upgraded`, kept in order by path-switch.ts), and a
 *    direct pair that replaced a relayed one falls back to it when it stops answering
 *    (`fell_back`). The application's session is the same object throughout.
 */
export type AgentRole = 'controlling' | 'controlled'
export type AgentState = 'new' | 'gathering' | 'gathered' | 'checking' | 'connected' | 'failed'

/** Checks received before the checks started, kept to act on then. */
const PENDING_REQUESTS_MAX = 16

export class IceAgent {
  readonly ufrag: string
  readonly pwd: string
  private readonly tieBreaker: bigint
  private readonly config: AgentConfig
  private stateValue: AgentState = 'new'
  private readonly outputs: AgentOutput[] = []
  private remote: { ufrag: string; pwd: string; candidates: Candidate[] } | undefined
  private readonly checkList: CheckList
  private readonly transactions: StunTransactions
  private readonly gatherer: Gatherer
  private readonly nomination: Nomination
  private readonly pendingRequests: PendingRequest[] = []
  private nextCheckAt: Instant | undefined
  /** The selected pair and the timers that move it (keep-alive, upgrade, fallback). */
  private readonly path: PathSelection
  private checksSent = 0
  private readonly relay: RelayLeg
  private readonly receivePath: ReceivePath
  /** The instant of the input being handled (TURN's send needs one). */
  private now: Instant = 0 as Instant

  constructor(
    readonly role: AgentRole,
    private readonly random: Random,
    private readonly hostAddresses: readonly Address[],
    config: Partial<AgentConfig> = {},
  ) {
    this.config = { ...DEFAULT_AGENT_CONFIG, ...config }
    this.ufrag = iceToken(random, 8)
    this.pwd = iceToken(random, 24)
    this.tieBreaker = BigInt(`0x${toHex(random.bytes(8))}`)
    this.checkList = new CheckList(role === 'controlling')
    this.transactions = new StunTransactions(this.config)
    this.relay = new RelayLeg(random, this.config)
    this.gatherer = new Gatherer(this.config, random, this.transactions, this.relay)
    this.nomination = new Nomination(this.config, role === 'controlling')
    this.path = new PathSelection(this.config)
    this.receivePath = new ReceivePath(this.config.pathSwitchHoldMinMs, (bytes) =>
      this.event({ type: 'data', bytes }),
    )
  }

  /** Connected through the relay and still checking the direct pairs. */
  get upgrading(): boolean {
    return this.stateValue === 'connected' && this.path.upgrading
  }

  get state(): AgentState {
    return this.stateValue
  }

  /** Starts gathering: STUN Binding requests to the servers, ALLOCATE to the relay. */
  start(now: Instant): void {
    this.now = now
    if (this.stateValue !== 'new') return
    this.stateValue = 'gathering'
    for (const request of this.gatherer.start(now, this.hostAddresses)) this.retransmit(request)
    this.drainRelay(now)
    this.maybeGathered(now)
  }

  /** The other agent's description, from the signalling channel. */
  setRemote(now: Instant, description: SessionDescription): void {
    this.now = now
    if (this.remote !== undefined) return
    this.remote = {
      ufrag: description.ufrag,
      pwd: description.pwd,
      candidates: description.candidates.map(candidateFromDescription),
    }
    this.maybeStartChecks(now)
  }

  /** Our description for the signalling channel (valid once `gathered` was emitted). */
  localDescription(): SessionDescription {
    return this.gatherer.description(this.ufrag, this.pwd)
  }

  /** An application datagram over the selected pair; false when not connected. */
  send(now: Instant, bytes: Uint8Array): boolean {
    const pair = this.path.selected
    if (pair === undefined || this.stateValue !== 'connected') return false
    this.now = now
    this.transmit(pair.local.base, pair.remote.address, bytes)
    this.path.sent(now, pair)
    return true
  }

  /** Every datagram the agent's socket receives. */
  receive(now: Instant, from: Address, bytes: Uint8Array): void {
    this.now = now
    if (this.relay.receive(now, from, bytes, (b) => this.transactions.answers(b))) {
      this.drainRelay(now)
      return
    }
    this.onDatagram(now, 'host', from, bytes)
  }

  timeout(now: Instant): void {
    this.now = now
    this.relay.timeout(now)
    this.drainRelay(now)
    for (const transaction of this.transactions.dueAt(now)) {
      if (this.transactions.advance(transaction, now)) this.retransmit(transaction)
      else this.onTransactionFailed(now, transaction)
    }
    if (this.stateValue === 'gathering') this.maybeGathered(now)
    if (this.stateValue === 'checking') {
      if (this.nextCheckAt !== undefined && this.nextCheckAt <= now) this.sendNextCheck(now)
      this.maybeNominate(now)
      this.maybeFail(now)
    }
    if (this.stateValue === 'connected') {
      for (const action of this.path.due(now)) this.onPathAction(now, action)
      if (this.upgrading && this.nextCheckAt !== undefined && this.nextCheckAt <= now) {
        this.sendNextCheck(now)
      }
    }
    this.receivePath.timeout(now)
  }

  nextTimeout(): Instant | undefined {
    const state = this.stateValue
    return earliest([
      this.relay.nextTimeout(),
      this.transactions.nextTimeout(),
      state === 'gathering' ? this.gatherer.nextTimeout() : undefined,
      state === 'checking' ? this.nomination.nextTimeout(this.checkList) : undefined,
      state === 'checking' || this.upgrading ? this.nextCheckAt : undefined,
      state === 'connected' ? this.path.nextTimeout() : undefined,
      this.receivePath.nextTimeout(),
    ])
  }

  takeOutputs(): AgentOutput[] {
    return this.outputs.splice(0)
  }

  /** The session ends: its TURN allocation is deleted (Refresh, LIFETIME 0), not left to expire. */
  close(now: Instant): void {
    this.relay.release(now)
    this.drainRelay(now)
  }

  // --- gathering and starting the checks --------------------------------------------------------

  private maybeGathered(now: Instant): void {
    if (this.stateValue !== 'gathering' || !this.gatherer.finish(now)) return
    this.stateValue = 'gathered'
    this.event({ type: 'gathered', description: this.localDescription() })
    this.maybeStartChecks(now)
  }

  private maybeStartChecks(now: Instant): void {
    if (this.stateValue !== 'gathered' || this.remote === undefined) return
    this.stateValue = 'checking'
    this.nomination.begin(now)
    for (const base of this.gatherer.bases()) {
      for (const remote of this.remote.candidates) this.checkList.pairFor(base, remote)
    }
    const remotes = this.remote.candidates.map((c) => c.address)
    this.relay.permit(now, remotes)
    this.drainRelay(now)
    for (const request of this.pendingRequests.splice(0)) this.afterRequest(now, request)
    this.nextCheckAt = now
    this.sendNextCheck(now)
  }

  // --- checks -------------------------------------------------------------------------------------

  private sendNextCheck(now: Instant): void {
    const pair = this.checkList.next(this.upgrading)
    if (pair === undefined) {
      this.nextCheckAt = undefined
      return
    }
    this.check(now, pair, false)
    this.nextCheckAt = after(now, ms(this.config.checkIntervalMs))
  }

  private check(now: Instant, pair: Pair, nominate: boolean): void {
    const remote = this.remote
    if (remote === undefined) return
    const controlling = this.role === 'controlling'
    const local = { ufrag: this.ufrag, controlling, tieBreaker: this.tieBreaker }
    const request = connectivityCheck(this.random, remote, local, nominate)
    if (pair.state !== 'succeeded') pair.state = 'in-progress'
    const purpose = { kind: 'check', pair, nominate } as const
    const { id, bytes } = request
    this.retransmit(
      this.transactions.begin(now, purpose, id, bytes, pair.local.base, pair.remote.address),
    )
  }

  private onDatagram(now: Instant, base: CandidateBase, from: Address, bytes: Uint8Array): void {
    if (!isStunMessage(bytes)) {
      // RFC 8445 section 12.1: data is accepted on any pair, not only a validated one. The
      // controlling side starts sending at its selection, which can be before the controlled
      // side's own check on that pair has come back.
      if (this.stateValue === 'connected' || this.stateValue === 'checking') {
        const pair = this.checkList.get(pairKey(base, from))
        if (pair !== undefined) this.receivePath.receive(now, pair, bytes)
      }
      return
    }
    // A copy at offset 0: the STUN codec's FINGERPRINT check misreads a view into a larger
    // buffer (Node's pooled Buffers, or a payload inside a relay message).
    const decoded = decodeStun(new Uint8Array(bytes))
    if (!decoded.ok) return
    const message = decoded.value
    if (message.method !== StunMethod.Binding) return
    if (message.messageClass === 'request') this.onRequest(now, base, from, message)
    else if (message.messageClass === 'success' || message.messageClass === 'error') {
      this.onResponse(now, base, from, message)
    }
    // indications are keep-alives: nothing to do
  }

  private onRequest(now: Instant, base: CandidateBase, from: Address, message: DecodedStun): void {
    const username = findAttribute(message, 'username')
    if (username === undefined || !username.value.startsWith(`${this.ufrag}:`)) return
    if (!verifyIntegrity(message, shortTermKey(this.pwd))) return
    this.transmit(base, from, bindingSuccess(message.transactionId, from, this.pwd))
    const priority = findAttribute(message, 'priority')?.priority ?? candidatePriority('prflx')
    const useCandidate = findAttribute(message, 'use-candidate') !== undefined
    const request = { base, from, priority, useCandidate }
    if (this.stateValue === 'checking' || this.stateValue === 'connected') {
      this.afterRequest(now, request)
    } else if (this.pendingRequests.length < PENDING_REQUESTS_MAX) {
      this.pendingRequests.push(request)
    }
  }

  /** Section 7.3.1.3-5: learn a peer-reflexive candidate, trigger a check, note nomination. */
  private afterRequest(now: Instant, request: PendingRequest): void {
    const local = this.gatherer.bases().find((c) => c.base === request.base)
    if (local === undefined || this.remote === undefined) return
    const remote = remoteCandidateFor(this.remote.candidates, request)
    const pair = this.checkList.pairFor(local, remote)
    if (request.useCandidate && this.role === 'controlled') {
      if (pair.state === 'succeeded') this.select(now, pair)
      else pair.nominateOnSuccess = true
    }
    const direct = !isRelayedPair(pair.local, pair.remote)
    const checking = this.stateValue === 'checking' || (this.upgrading && direct)
    if (pair.state !== 'succeeded' && checking) {
      pair.state = 'waiting'
      this.checkList.trigger(pair)
      // paced like every check (Ta): an idle check list sends now, a busy one in its turn
      if (this.nextCheckAt === undefined) this.sendNextCheck(now)
    }
  }

  private onResponse(now: Instant, base: CandidateBase, from: Address, message: DecodedStun): void {
    const id = toHex(message.transactionId)
    const transaction = this.transactions.get(id)
    if (transaction === undefined) return
    const purpose = transaction.purpose
    if (purpose.kind === 'gather') {
      if (!sameAddress(from, purpose.server)) return
      this.transactions.delete(id)
      this.gatherer.answered(message)
      this.maybeGathered(now)
      return
    }
    const pair = purpose.pair
    // Section 7.2.5.2.1: the response must come from where the request went, on the same base.
    if (base !== transaction.base || !sameAddress(from, transaction.to)) return
    const remote = this.remote
    if (remote === undefined || !verifyIntegrity(message, shortTermKey(remote.pwd))) return
    this.transactions.delete(id)
    if (message.messageClass === 'error') {
      this.onTransactionFailed(now, transaction)
      return
    }
    pair.rttMs = now - transaction.sentAt
    if (pair.state !== 'succeeded') {
      pair.state = 'succeeded'
      this.nomination.succeeded(now, pair)
    }
    this.path.fresh(now, pair)
    if (this.upgrading) return this.upgradeSucceeded(now, pair, purpose.nominate)
    if (this.stateValue !== 'checking') return
    if (purpose.nominate || pair.nominateOnSuccess) this.select(now, pair)
    else this.maybeNominate(now)
  }

  private onTransactionFailed(now: Instant, transaction: Transaction): void {
    const purpose = transaction.purpose
    if (purpose.kind === 'gather') return this.maybeGathered(now)
    const pair = purpose.pair
    const stillTrying = this.transactions.some(
      (t) => t.purpose.kind === 'check' && t.purpose.pair === pair,
    )
    if (!stillTrying && pair.state !== 'succeeded') pair.state = 'failed'
    if (purpose.nominate) this.nomination.nominationFailed(pair)
    if (purpose.nominate) this.path.nominationFailed(pair)
    if (this.stateValue === 'checking') {
      this.maybeNominate(now)
      this.maybeFail(now)
    }
  }

  private maybeNominate(now: Instant): void {
    if (this.stateValue !== 'checking') return
    const pair = this.nomination.pick(now, this.checkList)
    if (pair !== undefined) this.check(now, pair, true)
  }

  private maybeFail(now: Instant): void {
    if (this.stateValue !== 'checking') return
    const reason = this.nomination.failure(now, this.checkList)
    if (reason === undefined) return
    this.stateValue = 'failed'
    this.transactions.clear()
    this.event({ type: 'failed', reason, checksSent: this.checksSent })
  }

  // --- the selection: first, upgraded, fallen back ------------------------------------------------

  private select(now: Instant, pair: Pair): void {
    const relayed = isRelayedPair(pair.local, pair.remote)
    if (this.path.selected !== undefined) {
      // only a relayed session moves, and only to a direct pair
      if (!this.upgrading || relayed) return
      this.path.upgradeTo(now, pair)
      this.endUpgradeChecks()
      this.event({ type: 'upgraded', report: this.report(now, pair) })
      return
    }
    this.stateValue = 'connected'
    this.path.selectFirst(now, pair, relayed && this.checkList.hasDirect())
    if (this.path.upgrading) {
      // the direct checks in flight go on; the other relayed ones are done with
      this.transactions.deleteWhere(
        (t) =>
          t.purpose.kind === 'check' &&
          t.purpose.pair !== pair &&
          isRelayedPair(t.purpose.pair.local, t.purpose.pair.remote),
      )
      this.nextCheckAt ??= after(now, ms(this.config.checkIntervalMs))
    } else {
      this.transactions.deleteWhere((t) => t.purpose.kind === 'check' && t.purpose.pair !== pair)
    }
    this.event({ type: 'selected', report: this.report(now, pair) })
  }

  private report(now: Instant, pair: Pair): ConnectionReport {
    return connectionReport(this.role, pair, this.checksSent, this.nomination.elapsedMs(now))
  }

  private onPathAction(now: Instant, action: PathAction): void {
    switch (action.type) {
      case 'keepalive': {
        const { local, remote } = action.pair
        this.transmit(local.base, remote.address, bindingIndication(this.random))
        return this.path.sent(now, action.pair)
      }
      case 'consent':
        return this.check(now, action.pair, false)
      case 'retry_direct':
        if (this.checkList.retryFailedDirect()) this.nextCheckAt ??= now
        return
      case 'upgrade_over':
        return this.endUpgradeChecks()
      case 'fell_back':
        return this.fellBack(now, action.from, action.to)
    }
  }

  /** A check succeeded while upgrading: the controlling side nominates the first direct pair. */
  private upgradeSucceeded(now: Instant, pair: Pair, nominated: boolean): void {
    if (isRelayedPair(pair.local, pair.remote)) return
    if (nominated || pair.nominateOnSuccess) return this.select(now, pair)
    if (this.role !== 'controlling' || this.path.upgradeNominating !== undefined) return
    this.path.upgradeNominating = pair
    this.check(now, pair, true)
  }

  /** Upgraded, or the window closed: only the selected pair's checks (consent) go on. */
  private endUpgradeChecks(): void {
    this.nextCheckAt = undefined
    const selected = this.path.selected
    this.transactions.deleteWhere((t) => t.purpose.kind === 'check' && t.purpose.pair !== selected)
  }

  /**
   * The direct pair went quiet: the session is on the relayed pair again. The direct pairs
   * count as failed, so the upgrade window retries them after `upgradeRetryMs` (or at once
   * when the other side's checks get through, as triggered checks).
   */
  private fellBack(now: Instant, from: Pair, to: Pair): void {
    this.transactions.deleteWhere((t) => t.purpose.kind === 'check' && t.purpose.pair === from)
    this.checkList.failDirect()
    from.nominateOnSuccess = false
    this.nextCheckAt = undefined
    this.event({ type: 'fell_back', report: this.report(now, to) })
  }

  // --- plumbing -----------------------------------------------------------------------------------

  private retransmit(transaction: Transaction): void {
    if (transaction.purpose.kind === 'check') {
      this.checksSent++
      transaction.purpose.pair.transmissions++
    }
    this.transmit(transaction.base, transaction.to, transaction.bytes)
  }

  private transmit(base: CandidateBase, to: Address, bytes: Uint8Array): void {
    if (base === 'relay') {
      this.relay.send(this.now, to, bytes)
      this.drainRelay(this.now)
    } else {
      this.emitSend(to, bytes)
    }
  }

  /** The relay leg's outputs: its datagrams go out of our socket; its news feeds gathering. */
  private drainRelay(now: Instant): void {
    for (const output of this.relay.takeOutputs()) {
      if (output.type === 'send') this.emitSend(output.to, output.bytes)
      else if (output.type === 'relayed') {
        this.gatherer.relayed(output.address)
        this.maybeGathered(now)
      } else if (output.type === 'unavailable') this.maybeGathered(now)
      else this.onDatagram(now, 'relay', output.from, output.bytes)
    }
  }

  private emitSend(to: Address, bytes: Uint8Array): void {
    this.outputs.push({ type: 'send', to, bytes })
  }

  private event(event: AgentEvent): void {
    this.outputs.push({ type: 'event', event })
  }
}

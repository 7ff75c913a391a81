import { addressKey, sameAddress, type Address } from '../../core/address.js'
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
import {
  candidatePriority,
  isRelayedPair,
  makeCandidate,
  pairKey,
  type Candidate,
  type CandidateBase,
} from './candidate.js'
import { DEFAULT_AGENT_CONFIG, type AgentConfig } from './config.js'
import {
  candidateFromDescription,
  candidateToDescription,
  type SessionDescription,
} from './description.js'
import {
  bindingIndication,
  bindingRequest,
  bindingSuccess,
  checkAttributes,
  iceToken,
} from './binding.js'
import { CheckList, connectionReport, type Pair, type PendingRequest } from './pairs.js'
import { ReceivePath } from './path-switch.js'
import { RelayLeg } from './relay-leg.js'
import { StunTransactions, type Transaction } from './transactions.js'
import type { AgentEvent, AgentOutput } from './events.js'

/**
 * An ICE agent (RFC 8445) for one UDP component, sans-IO. It owns one socket (the driver's)
 * and, when given a relay, one relay-lite allocation reached from that socket.
 *
 * 1. Gathering: the host candidates the driver names, a server-reflexive candidate from each
 *    STUN server (Binding request), a relayed candidate from the relay. Then `gathered`.
 * 2. The description goes to the other agent through the signalling channel; its description
 *    comes back through `setRemote`.
 * 3. Checks: one pair per (base, remote candidate), highest priority first, one new check
 *    every `checkIntervalMs` (Ta), triggered checks first; a request received makes a
 *    triggered check on its pair, which is how both sides punch their NATs at the same time.
 * 4. Nomination (controlling side): a direct pair is nominated as soon as it succeeds; a
 *    relayed one only after `nominationWaitMs` without a direct success (the relay is the
 *    fallback). Nominating is a check carrying USE-CANDIDATE; the controlled side selects the
 *    pair when it sees one on a pair that has succeeded.
 * 5. Connected: application datagrams on the selected pair, STUN Binding indications every
 *    `keepaliveMs` when nothing else was sent (the NAT mappings stay open).
 * 6. Upgrading: when the selected pair is relayed, the direct pairs are still checked (failed
 *    ones again every `upgradeRetryMs`) for `upgradeWindowMs`. The controlling side nominates
 *    the first that succeeds; both sides then move the session's datagrams to it (`upgraded`)
 *    while the receiver keeps them in order across the switch (path-switch.ts). The
 *    application's session is the same object throughout.
 */
export type AgentRole = 'controlling' | 'controlled'
export type AgentState = 'new' | 'gathering' | 'gathered' | 'checking' | 'connected' | 'failed'

export class IceAgent {
  readonly ufrag: string
  readonly pwd: string
  private readonly tieBreaker: bigint
  private readonly config: AgentConfig
  private stateValue: AgentState = 'new'
  private readonly outputs: AgentOutput[] = []
  private readonly locals: Candidate[] = []
  private remote: { ufrag: string; pwd: string; candidates: Candidate[] } | undefined
  private readonly checkList: CheckList
  private readonly transactions: StunTransactions
  private readonly pendingRequests: PendingRequest[] = []
  private gatherDeadline: Instant | undefined
  private nextCheckAt: Instant | undefined
  private checksStartedAt: Instant | undefined
  private firstRelayedValidAt: Instant | undefined
  private checkDeadline: Instant | undefined
  private nominating: Pair | undefined
  private selected: Pair | undefined
  private lastSentOnSelected: Instant | undefined
  private checksSent = 0
  private readonly relay: RelayLeg
  /** Upgrading a relayed selection: until when, the next retry of failed direct pairs. */
  private upgradeUntil: Instant | undefined
  private upgradeRetryAt: Instant | undefined
  private upgradeNominating: Pair | undefined
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
    const bytes = random.bytes(8)
    this.tieBreaker = BigInt(`0x${toHex(bytes)}`)
    this.checkList = new CheckList(role === 'controlling')
    this.transactions = new StunTransactions(this.config)
    this.relay = new RelayLeg(random, this.config)
    this.receivePath = new ReceivePath(this.config.pathSwitchHoldMinMs, (bytes) =>
      this.event({ type: 'data', bytes }),
    )
  }

  /** Connected through the relay and still checking the direct pairs. */
  get upgrading(): boolean {
    return this.stateValue === 'connected' && this.upgradeUntil !== undefined
  }

  get state(): AgentState {
    return this.stateValue
  }

  /** Starts gathering: STUN Binding requests to the servers, ALLOCATE to the relay. */
  start(now: Instant): void {
    this.now = now
    if (this.stateValue !== 'new') return
    this.stateValue = 'gathering'
    for (const address of this.hostAddresses) {
      this.locals.push(makeCandidate('host', address, 'host'))
    }
    for (const server of this.config.stunServers) {
      const request = bindingRequest(this.random, [])
      this.retransmit(
        this.transactions.begin(
          now,
          { kind: 'gather', server },
          request.id,
          request.bytes,
          'host',
          server,
        ),
      )
    }
    this.relay.start(now)
    this.drainRelay(now)
    this.gatherDeadline = after(now, ms(this.config.gatherTimeoutMs))
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
    return {
      ufrag: this.ufrag,
      pwd: this.pwd,
      candidates: this.locals.map(candidateToDescription),
    }
  }

  /** An application datagram over the selected pair; false when not connected. */
  send(now: Instant, bytes: Uint8Array): boolean {
    const pair = this.selected
    if (pair === undefined || this.stateValue !== 'connected') return false
    this.now = now
    this.transmit(pair.local.base, pair.remote.address, bytes)
    this.lastSentOnSelected = now
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
    if (this.upgrading) this.upgradeStep(now)
    if (this.stateValue === 'connected') this.keepalive(now)
    this.receivePath.timeout(now)
  }

  nextTimeout(): Instant | undefined {
    let next: Instant | undefined
    const consider = (at: Instant | undefined): void => {
      if (at !== undefined && (next === undefined || at < next)) next = at
    }
    consider(this.relay.nextTimeout())
    consider(this.transactions.nextTimeout())
    if (this.stateValue === 'gathering') consider(this.gatherDeadline)
    if (this.stateValue === 'checking') {
      consider(this.nextCheckAt)
      consider(this.checkDeadline)
      const mayNominate = this.role === 'controlling' && this.nominating === undefined
      const relayedValid = this.checkList.someRelayedSucceeded()
      if (mayNominate && relayedValid && this.firstRelayedValidAt !== undefined) {
        consider(after(this.firstRelayedValidAt, ms(this.config.nominationWaitMs)))
      }
    }
    if (this.stateValue === 'connected' && this.lastSentOnSelected !== undefined) {
      consider(after(this.lastSentOnSelected, ms(this.config.keepaliveMs)))
    }
    if (this.upgrading) {
      consider(this.upgradeUntil)
      consider(this.upgradeRetryAt)
      consider(this.nextCheckAt)
    }
    consider(this.receivePath.nextTimeout())
    return next
  }

  takeOutputs(): AgentOutput[] {
    return this.outputs.splice(0)
  }

  // --- gathering ------------------------------------------------------------------------------

  private maybeGathered(now: Instant): void {
    if (this.stateValue !== 'gathering') return
    const gathering = this.transactions.some((t) => t.purpose.kind === 'gather')
    const timedOut = this.gatherDeadline !== undefined && now >= this.gatherDeadline
    if ((gathering || this.relay.pending) && !timedOut) return
    this.transactions.deleteWhere((t) => t.purpose.kind === 'gather')
    this.relay.abandon()
    this.stateValue = 'gathered'
    this.event({ type: 'gathered', description: this.localDescription() })
    this.maybeStartChecks(now)
  }

  // --- checks ---------------------------------------------------------------------------------

  private maybeStartChecks(now: Instant): void {
    if (this.stateValue !== 'gathered' || this.remote === undefined) return
    this.stateValue = 'checking'
    this.checksStartedAt = now
    this.checkDeadline = after(now, ms(this.config.checkTimeoutMs))
    for (const base of this.bases()) {
      for (const remote of this.remote.candidates) this.checkList.pairFor(base, remote)
    }
    this.relay.permit(
      now,
      this.remote.candidates.map((c) => c.address),
    )
    this.drainRelay(now)
    for (const request of this.pendingRequests.splice(0)) this.afterRequest(now, request)
    this.nextCheckAt = now
    this.sendNextCheck(now)
  }

  /** One local candidate per base: the host socket and, if allocated, the relay. */
  private bases(): Candidate[] {
    const host = this.locals.find((c) => c.type === 'host')
    const relay = this.locals.find((c) => c.type === 'relay')
    return [host, relay].filter((c): c is Candidate => c !== undefined)
  }

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
    const attributes = checkAttributes(
      remote.ufrag,
      this.ufrag,
      this.role === 'controlling',
      this.tieBreaker,
      nominate,
    )
    const request = bindingRequest(this.random, attributes, shortTermKey(remote.pwd))
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
    } else if (this.pendingRequests.length < 16) {
      this.pendingRequests.push(request)
    }
  }

  /** Section 7.3.1.3-5: learn a peer-reflexive candidate, trigger a check, note nomination. */
  private afterRequest(now: Instant, request: PendingRequest): void {
    const local = this.bases().find((c) => c.base === request.base)
    if (local === undefined || this.remote === undefined) return
    let remote = this.remote.candidates.find((c) => sameAddress(c.address, request.from))
    if (remote === undefined) {
      remote = {
        type: 'prflx',
        address: request.from,
        base: 'host',
        priority: request.priority,
        foundation: `prflx-${addressKey(request.from)}`,
      }
      this.remote.candidates.push(remote)
    }
    const pair = this.checkList.pairFor(local, remote)
    if (request.useCandidate && this.role === 'controlled') {
      if (pair.state === 'succeeded') this.select(now, pair)
      else pair.nominateOnSuccess = true
    }
    const direct = !isRelayedPair(pair.local, pair.remote)
    if (
      pair.state !== 'succeeded' &&
      (this.stateValue === 'checking' || (this.upgrading && direct))
    ) {
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
      const mapped = findAttribute(message, 'xor-mapped-address')?.address
      const known = mapped !== undefined && this.locals.some((c) => sameAddress(c.address, mapped))
      if (message.messageClass === 'success' && mapped !== undefined && !known) {
        this.locals.push(makeCandidate('srflx', mapped, 'host'))
      }
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
      if (isRelayedPair(pair.local, pair.remote) && this.firstRelayedValidAt === undefined) {
        this.firstRelayedValidAt = now
      }
    }
    if (this.upgrading) return this.upgradeSucceeded(now, pair, purpose.nominate)
    if (this.stateValue !== 'checking') return
    if (purpose.nominate || pair.nominateOnSuccess) this.select(now, pair)
    else this.maybeNominate(now)
  }

  private onTransactionFailed(now: Instant, transaction: Transaction): void {
    const purpose = transaction.purpose
    if (purpose.kind === 'gather') {
      this.maybeGathered(now)
      return
    }
    const pair = purpose.pair
    const stillTrying = this.transactions.some(
      (t) => t.purpose.kind === 'check' && t.purpose.pair === pair,
    )
    if (!stillTrying && pair.state !== 'succeeded') pair.state = 'failed'
    if (purpose.nominate && this.nominating === pair) {
      pair.state = 'failed'
      this.nominating = undefined
    }
    if (purpose.nominate && this.upgradeNominating === pair) this.upgradeNominating = undefined
    if (this.stateValue === 'checking') {
      this.maybeNominate(now)
      this.maybeFail(now)
    }
  }

  private maybeNominate(now: Instant): void {
    if (this.role !== 'controlling' || this.nominating !== undefined) return
    if (this.stateValue !== 'checking') return
    const best = this.checkList.bestSucceeded()
    if (best === undefined) return
    if (isRelayedPair(best.local, best.remote)) {
      const waited =
        this.firstRelayedValidAt !== undefined &&
        now >= after(this.firstRelayedValidAt, ms(this.config.nominationWaitMs))
      if (!waited && this.checkList.someDirectPending()) return
    }
    this.nominating = best
    this.check(now, best, true)
  }

  private maybeFail(now: Instant): void {
    if (this.stateValue !== 'checking') return
    const timedOut = this.checkDeadline !== undefined && now >= this.checkDeadline
    if (this.checkList.someAlive() && !timedOut) return
    this.stateValue = 'failed'
    this.transactions.clear()
    this.event({
      type: 'failed',
      reason: timedOut ? 'timeout' : 'no_pair_succeeded',
      checksSent: this.checksSent,
    })
  }

  private select(now: Instant, pair: Pair): void {
    const relayed = isRelayedPair(pair.local, pair.remote)
    const elapsedMs = now - (this.checksStartedAt ?? now)
    if (this.selected !== undefined) {
      // only a relayed session moves, and only to a direct pair
      if (!this.upgrading || relayed) return
      this.selected = pair
      this.lastSentOnSelected = now
      this.endUpgrade()
      const report = connectionReport(this.role, pair, this.checksSent, elapsedMs)
      this.event({ type: 'upgraded', report })
      return
    }
    this.selected = pair
    this.stateValue = 'connected'
    this.lastSentOnSelected = now
    if (relayed && this.config.upgradeWindowMs > 0 && this.checkList.hasDirect()) {
      // the direct checks in flight go on; the other relayed ones are done with
      this.upgradeUntil = after(now, ms(this.config.upgradeWindowMs))
      this.upgradeRetryAt = after(now, ms(this.config.upgradeRetryMs))
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
    const report = connectionReport(this.role, pair, this.checksSent, elapsedMs)
    this.event({ type: 'selected', report })
  }

  // --- upgrading a relayed session --------------------------------------------------------------

  private upgradeStep(now: Instant): void {
    if (this.upgradeUntil !== undefined && now >= this.upgradeUntil) {
      this.endUpgrade()
      return
    }
    if (this.upgradeRetryAt !== undefined && now >= this.upgradeRetryAt) {
      if (this.checkList.retryFailedDirect()) this.nextCheckAt ??= now
      this.upgradeRetryAt = after(now, ms(this.config.upgradeRetryMs))
    }
    if (this.nextCheckAt !== undefined && this.nextCheckAt <= now) this.sendNextCheck(now)
  }

  /** A check succeeded while upgrading: the controlling side nominates the first direct pair. */
  private upgradeSucceeded(now: Instant, pair: Pair, nominated: boolean): void {
    if (isRelayedPair(pair.local, pair.remote)) return
    if (nominated || pair.nominateOnSuccess) return this.select(now, pair)
    if (this.role !== 'controlling' || this.upgradeNominating !== undefined) return
    this.upgradeNominating = pair
    this.check(now, pair, true)
  }

  private endUpgrade(): void {
    this.upgradeUntil = undefined
    this.upgradeRetryAt = undefined
    this.upgradeNominating = undefined
    this.nextCheckAt = undefined
    const selected = this.selected
    this.transactions.deleteWhere((t) => t.purpose.kind === 'check' && t.purpose.pair !== selected)
  }

  private keepalive(now: Instant): void {
    const pair = this.selected
    if (pair === undefined || this.lastSentOnSelected === undefined) return
    // the same sum as nextTimeout's: a difference could round below it and never fire
    if (now < after(this.lastSentOnSelected, ms(this.config.keepaliveMs))) return
    this.transmit(pair.local.base, pair.remote.address, bindingIndication(this.random))
    this.lastSentOnSelected = now
  }

  // --- plumbing -------------------------------------------------------------------------------

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
        this.locals.push(makeCandidate('relay', output.address, 'relay'))
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

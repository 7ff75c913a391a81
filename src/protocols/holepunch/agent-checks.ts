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
import { bindingSuccess, connectivityCheck, iceToken } from './binding.js'
import {
  candidatePriority,
  isRelayedPair,
  pairKey,
  type Candidate,
  type CandidateBase,
} from './candidate.js'
import { DEFAULT_AGENT_CONFIG, type AgentConfig } from './config.js'
import type { AgentEvent, AgentOutput } from './events.js'
import { Gatherer } from './gatherer.js'
import { Nomination } from './nomination.js'
import { CheckList, remoteCandidateFor, type Pair, type PendingRequest } from './pairs.js'
import { ReceivePath } from './path-switch.js'
import { RelayLeg } from './relay-leg.js'
import { PathSelection } from './selection.js'
import type { TcpCandidate } from './tcp-candidates.js'
import { TcpLeg } from './tcp-leg.js'
import { StunTransactions, type Transaction } from './transactions.js'

/**
 * The checking half of the ICE agent (agent.ts): the state both halves share, the
 * connectivity checks (requests, triggered checks, responses, nomination, failure) and the
 * plumbing that sends through the socket or the relay leg. What the checks lead to (the
 * selection, upgrading, falling back, the TCP selection) is the subclass's, through the
 * abstract methods at the end.
 */
export type AgentRole = 'controlling' | 'controlled'
export type AgentState = 'new' | 'gathering' | 'gathered' | 'checking' | 'connected' | 'failed'

/** Checks received before the checks started, kept to act on then. */
const PENDING_REQUESTS_MAX = 16

export abstract class CheckingAgent {
  readonly ufrag: string
  readonly pwd: string
  protected readonly tieBreaker: bigint
  protected readonly config: AgentConfig
  protected stateValue: AgentState = 'new'
  protected readonly outputs: AgentOutput[] = []
  protected remote:
    { ufrag: string; pwd: string; candidates: Candidate[]; tcp: TcpCandidate[] } | undefined
  protected readonly checkList: CheckList
  protected readonly transactions: StunTransactions
  protected readonly gatherer: Gatherer
  protected readonly nomination: Nomination
  protected readonly pendingRequests: PendingRequest[] = []
  protected nextCheckAt: Instant | undefined
  /** The selected pair and the timers that move it (keep-alive, upgrade, fallback). */
  protected readonly path: PathSelection
  protected checksSent = 0
  protected readonly relay: RelayLeg
  /** The TCP candidates and their checks (RFC 6544), when the driver can open streams. */
  protected readonly tcp: TcpLeg | undefined
  protected readonly receivePath: ReceivePath
  /** The instant of the input being handled (TURN's send needs one). */
  protected now: Instant = 0 as Instant

  constructor(
    readonly role: AgentRole,
    protected readonly random: Random,
    protected readonly hostAddresses: readonly Address[],
    config: Partial<AgentConfig> = {},
  ) {
    this.config = { ...DEFAULT_AGENT_CONFIG, ...config }
    this.ufrag = iceToken(random, 8)
    this.pwd = iceToken(random, 24)
    this.tieBreaker = BigInt(`0x${toHex(random.bytes(8))}`)
    this.checkList = new CheckList(role === 'controlling')
    this.transactions = new StunTransactions(this.config)
    this.relay = new RelayLeg(random, this.config)
    const tcp = this.config.tcp
    this.tcp = tcp === undefined ? undefined : new TcpLeg(tcp, random, hostAddresses)
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

  // --- checks -------------------------------------------------------------------------------------

  protected sendNextCheck(now: Instant): void {
    const pair = this.checkList.next(this.upgrading)
    if (pair === undefined) {
      this.nextCheckAt = undefined
      return
    }
    this.check(now, pair, false)
    this.nextCheckAt = after(now, ms(this.config.checkIntervalMs))
  }

  protected check(now: Instant, pair: Pair, nominate: boolean): void {
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

  protected onDatagram(now: Instant, base: CandidateBase, from: Address, bytes: Uint8Array): void {
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

  protected onRequest(
    now: Instant,
    base: CandidateBase,
    from: Address,
    message: DecodedStun,
  ): void {
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
  protected afterRequest(now: Instant, request: PendingRequest): void {
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

  protected onResponse(
    now: Instant,
    base: CandidateBase,
    from: Address,
    message: DecodedStun,
  ): void {
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

  protected onTransactionFailed(now: Instant, transaction: Transaction): void {
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

  /**
   * Controlling side: a direct UDP pair at once; else a valid TCP pair once no direct UDP pair
   * is pending (or `nominationWaitMs` after it became valid); a relayed pair last.
   */
  protected maybeNominate(now: Instant): void {
    if (this.stateValue !== 'checking' || this.tcp?.nominating() === true) return
    const best = this.tcp?.bestValid()
    const tcpDirect = { valid: best !== undefined, pending: this.tcp?.somePending() === true }
    const pair = this.nomination.pick(now, this.checkList, tcpDirect)
    if (pair !== undefined) return this.check(now, pair, true)
    if (best === undefined || this.nomination.busy || this.role !== 'controlling') return
    const due = this.tcpNominationDue()
    if (this.checkList.someDirectPending() && due !== undefined && now < due) return
    this.tcp?.nominate(now, best)
    this.drainTcp(now)
  }

  /** When a valid TCP pair stops waiting for the direct UDP pairs still being checked. */
  protected tcpNominationDue(): Instant | undefined {
    const validAt = this.tcp?.bestValid()?.validAt
    if (validAt === undefined || this.role !== 'controlling') return undefined
    // only while a nomination could still be made, and is waiting for the UDP pairs
    if (this.nomination.busy || this.tcp?.nominating() === true) return undefined
    if (!this.checkList.someDirectPending()) return undefined
    return after(validAt, ms(this.config.nominationWaitMs))
  }

  protected maybeFail(now: Instant): void {
    if (this.stateValue !== 'checking') return
    const reason = this.nomination.failure(now, this.checkList, this.tcp?.someAlive() === true)
    if (reason === undefined) return
    this.stateValue = 'failed'
    this.transactions.clear()
    this.event({ type: 'failed', reason, checksSent: this.checksSent })
  }

  // --- plumbing -----------------------------------------------------------------------------------

  protected retransmit(transaction: Transaction): void {
    if (transaction.purpose.kind === 'check') {
      this.checksSent++
      transaction.purpose.pair.transmissions++
    }
    this.transmit(transaction.base, transaction.to, transaction.bytes)
  }

  protected transmit(base: CandidateBase, to: Address, bytes: Uint8Array): void {
    if (base === 'relay') {
      this.relay.send(this.now, to, bytes)
      this.drainRelay(this.now)
    } else {
      this.emitSend(to, bytes)
    }
  }

  /** The relay leg's outputs: its datagrams go out of our socket; its news feeds gathering. */
  protected drainRelay(now: Instant): void {
    for (const output of this.relay.takeOutputs()) {
      if (output.type === 'send') this.emitSend(output.to, output.bytes)
      else if (output.type === 'relayed') {
        this.gatherer.relayed(output.address)
        this.maybeGathered(now)
      } else if (output.type === 'unavailable') this.maybeGathered(now)
      else this.onDatagram(now, 'relay', output.from, output.bytes)
    }
  }

  protected emitSend(to: Address, bytes: Uint8Array): void {
    this.outputs.push({ type: 'send', to, bytes })
  }

  protected event(event: AgentEvent): void {
    this.outputs.push({ type: 'event', event })
  }

  // --- what the subclass (agent.ts) does with the checks' outcomes ------------------------------

  protected abstract select(now: Instant, pair: Pair): void
  protected abstract upgradeSucceeded(now: Instant, pair: Pair, nominated: boolean): void
  protected abstract maybeGathered(now: Instant): void
  protected abstract drainTcp(now: Instant): void
}

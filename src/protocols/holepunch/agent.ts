import { addressKey, sameAddress, type Address } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import type { Random } from '../../core/random.js'
import { after, ms, type Instant } from '../../core/time.js'
import {
  StunMethod,
  decodeStun,
  encodeStun,
  findAttribute,
  isStunMessage,
  shortTermKey,
  verifyIntegrity,
  type DecodedStun,
  type StunAttribute,
} from '../stun/index.js'
import { TurnClient } from '../turn/client.js'
import {
  candidatePriority,
  isRelayedPair,
  makeCandidate,
  pairKey,
  pairPriority,
  type Candidate,
  type CandidateBase,
} from './candidate.js'
import { DEFAULT_AGENT_CONFIG, type AgentConfig } from './config.js'
import type { SessionDescription } from './description.js'
import { decodeRelay, encodeRelay, isRelayMessage } from './relay-codec.js'
import type { AgentEvent, AgentOutput, ConnectionReport } from './events.js'

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
 */
export type AgentRole = 'controlling' | 'controlled'
export type AgentState = 'new' | 'gathering' | 'gathered' | 'checking' | 'connected' | 'failed'

type PairState = 'waiting' | 'in-progress' | 'succeeded' | 'failed'

interface Pair {
  readonly key: string
  readonly local: Candidate
  readonly remote: Candidate
  readonly priority: bigint
  state: PairState
  /** Controlled side: select as soon as a check succeeds (USE-CANDIDATE already seen). */
  nominateOnSuccess: boolean
  transmissions: number
  rttMs: number | undefined
}

type Purpose =
  | { readonly kind: 'gather'; readonly server: Address }
  | { readonly kind: 'check'; readonly pair: Pair; readonly nominate: boolean }

interface Transaction {
  readonly id: string
  readonly purpose: Purpose
  readonly bytes: Uint8Array
  readonly base: CandidateBase
  readonly to: Address
  attempts: number
  sentAt: Instant
  nextAt: Instant
  rto: number
}

interface PendingRequest {
  readonly base: CandidateBase
  readonly from: Address
  readonly priority: number
  readonly useCandidate: boolean
}

const RELAY_TID = 0x1ce

export class IceAgent {
  readonly ufrag: string
  readonly pwd: string
  private readonly tieBreaker: bigint
  private readonly config: AgentConfig
  private stateValue: AgentState = 'new'
  private readonly outputs: AgentOutput[] = []
  private readonly locals: Candidate[] = []
  private remote: { ufrag: string; pwd: string; candidates: Candidate[] } | undefined
  private readonly pairs = new Map<string, Pair>()
  private readonly transactions = new Map<string, Transaction>()
  private readonly triggered: Pair[] = []
  private readonly pendingRequests: PendingRequest[] = []
  private gatherDeadline: Instant | undefined
  private relayPending: { attempts: number; nextAt: Instant } | undefined
  private nextCheckAt: Instant | undefined
  private checksStartedAt: Instant | undefined
  private firstRelayedValidAt: Instant | undefined
  private checkDeadline: Instant | undefined
  private nominating: Pair | undefined
  private selected: Pair | undefined
  private lastSentOnSelected: Instant | undefined
  private checksSent = 0
  /** The relay when it is a TURN server (else relay-lite through `config.relay`). */
  private readonly turn: TurnClient | undefined
  private turnPending = false
  /** The instant of the input being handled (TURN's send needs one). */
  private now: Instant = 0 as Instant

  constructor(
    readonly role: AgentRole,
    private readonly random: Random,
    private readonly hostAddresses: readonly Address[],
    config: Partial<AgentConfig> = {},
  ) {
    this.config = { ...DEFAULT_AGENT_CONFIG, ...config }
    this.ufrag = this.token(8)
    this.pwd = this.token(24)
    const bytes = random.bytes(8)
    this.tieBreaker = BigInt(`0x${toHex(bytes)}`)
    const turn = this.config.turn
    this.turn =
      turn === undefined
        ? undefined
        : new TurnClient(random.fork('turn'), {
            server: turn.server,
            username: turn.username,
            password: turn.password,
          })
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
      const request = this.stunRequest([])
      this.begin(now, { kind: 'gather', server }, request.id, request.bytes, 'host', server)
    }
    if (this.config.relay !== undefined) {
      this.relayPending = { attempts: 0, nextAt: now }
      this.sendAllocate(now)
    } else if (this.turn !== undefined) {
      this.turnPending = true
      this.turn.allocate(now)
      this.drainTurn(now)
    }
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
      candidates: description.candidates.map((c) => ({
        type: c.type,
        address: { host: c.host, port: c.port },
        base: 'host' as const,
        priority: c.priority,
        foundation: c.foundation,
      })),
    }
    this.maybeStartChecks(now)
  }

  /** Our description for the signalling channel (valid once `gathered` was emitted). */
  localDescription(): SessionDescription {
    return {
      ufrag: this.ufrag,
      pwd: this.pwd,
      candidates: this.locals.map((c) => ({
        type: c.type,
        host: c.address.host,
        port: c.address.port,
        priority: c.priority,
        foundation: c.foundation,
      })),
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
    const turn = this.config.turn
    // The TURN server is often the STUN server too: our own Binding answers stay ours.
    if (
      this.turn !== undefined &&
      turn !== undefined &&
      sameAddress(from, turn.server) &&
      !this.answersOurTransaction(bytes)
    ) {
      this.turn.receive(now, from, bytes)
      this.drainTurn(now)
      return
    }
    const relay = this.config.relay
    if (relay !== undefined && sameAddress(from, relay) && isRelayMessage(bytes)) {
      this.fromRelay(now, bytes)
      return
    }
    this.onDatagram(now, 'host', from, bytes)
  }

  timeout(now: Instant): void {
    this.now = now
    if (this.turn !== undefined) {
      const due = this.turn.nextTimeout()
      if (due !== undefined && due <= now) this.turn.timeout(now)
      this.drainTurn(now)
    }
    if (this.relayPending !== undefined && this.relayPending.nextAt <= now) this.sendAllocate(now)
    for (const transaction of [...this.transactions.values()]) {
      if (transaction.nextAt > now) continue
      if (transaction.attempts >= this.config.checkAttempts) {
        this.transactions.delete(transaction.id)
        this.onTransactionFailed(now, transaction)
      } else {
        transaction.attempts++
        transaction.rto = Math.min(transaction.rto * 2, this.config.rtoMaxMs)
        transaction.sentAt = now
        transaction.nextAt = after(now, ms(transaction.rto))
        this.retransmit(transaction)
      }
    }
    if (this.stateValue === 'gathering') this.maybeGathered(now)
    if (this.stateValue === 'checking') {
      if (this.nextCheckAt !== undefined && this.nextCheckAt <= now) this.sendNextCheck(now)
      this.maybeNominate(now)
      this.maybeFail(now)
    }
    if (this.stateValue === 'connected') this.keepalive(now)
  }

  nextTimeout(): Instant | undefined {
    let next: Instant | undefined
    const consider = (at: Instant | undefined): void => {
      if (at !== undefined && (next === undefined || at < next)) next = at
    }
    consider(this.relayPending?.nextAt)
    consider(this.turn?.nextTimeout())
    for (const transaction of this.transactions.values()) consider(transaction.nextAt)
    if (this.stateValue === 'gathering') consider(this.gatherDeadline)
    if (this.stateValue === 'checking') {
      consider(this.nextCheckAt)
      consider(this.checkDeadline)
      const mayNominate = this.role === 'controlling' && this.nominating === undefined
      const relayedValid = [...this.pairs.values()].some(
        (pair) => pair.state === 'succeeded' && isRelayedPair(pair.local, pair.remote),
      )
      if (mayNominate && relayedValid && this.firstRelayedValidAt !== undefined) {
        consider(after(this.firstRelayedValidAt, ms(this.config.nominationWaitMs)))
      }
    }
    if (this.stateValue === 'connected' && this.lastSentOnSelected !== undefined) {
      consider(after(this.lastSentOnSelected, ms(this.config.keepaliveMs)))
    }
    return next
  }

  takeOutputs(): AgentOutput[] {
    return this.outputs.splice(0)
  }

  // --- gathering ------------------------------------------------------------------------------

  private sendAllocate(now: Instant): void {
    const pending = this.relayPending
    const relay = this.config.relay
    if (pending === undefined || relay === undefined) return
    if (pending.attempts >= this.config.checkAttempts) {
      this.relayPending = undefined
      this.maybeGathered(now)
      return
    }
    pending.attempts++
    pending.nextAt = after(now, ms(this.config.rtoMs * 2 ** (pending.attempts - 1)))
    this.emitSend(relay, encodeRelay({ type: 'allocate', tid: RELAY_TID }))
  }

  private fromRelay(now: Instant, bytes: Uint8Array): void {
    const decoded = decodeRelay(bytes)
    if (!decoded.ok) return
    const message = decoded.value
    if (message.type === 'allocated' && this.relayPending !== undefined) {
      this.relayPending = undefined
      this.locals.push(makeCandidate('relay', message.relayed, 'relay'))
      this.maybeGathered(now)
    } else if (message.type === 'refused' && this.relayPending !== undefined) {
      this.relayPending = undefined
      this.maybeGathered(now)
    } else if (message.type === 'data') {
      this.onDatagram(now, 'relay', message.from, message.payload)
    }
  }

  private maybeGathered(now: Instant): void {
    if (this.stateValue !== 'gathering') return
    const gathering = [...this.transactions.values()].some((t) => t.purpose.kind === 'gather')
    const timedOut = this.gatherDeadline !== undefined && now >= this.gatherDeadline
    const relaying = this.relayPending !== undefined || this.turnPending
    if ((gathering || relaying) && !timedOut) return
    for (const transaction of [...this.transactions.values()]) {
      if (transaction.purpose.kind === 'gather') this.transactions.delete(transaction.id)
    }
    this.relayPending = undefined
    this.turnPending = false
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
      for (const remote of this.remote.candidates) this.pairFor(base, remote)
    }
    if (this.turn?.relayed !== undefined && this.remote.candidates.length > 0) {
      // TURN forwards only from (and to) permitted IPs: every remote candidate's
      this.turn.permit(
        now,
        this.remote.candidates.map((c) => c.address),
      )
      this.drainTurn(now)
    }
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

  private pairFor(local: Candidate, remote: Candidate): Pair {
    const key = pairKey(local.base, remote.address)
    let pair = this.pairs.get(key)
    if (pair === undefined) {
      const [g, d] =
        this.role === 'controlling'
          ? [local.priority, remote.priority]
          : [remote.priority, local.priority]
      pair = {
        key,
        local,
        remote,
        priority: pairPriority(g, d),
        state: 'waiting',
        nominateOnSuccess: false,
        transmissions: 0,
        rttMs: undefined,
      }
      this.pairs.set(key, pair)
    }
    return pair
  }

  private sendNextCheck(now: Instant): void {
    let pair = this.triggered.shift()
    while (pair !== undefined && pair.state === 'failed') pair = this.triggered.shift()
    if (pair === undefined) {
      let best: Pair | undefined
      for (const candidate of this.pairs.values()) {
        if (candidate.state !== 'waiting') continue
        if (best === undefined || candidate.priority > best.priority) best = candidate
      }
      pair = best
    }
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
    const attributes: StunAttribute[] = [
      { type: 'username', value: `${remote.ufrag}:${this.ufrag}` },
      { type: 'priority', priority: candidatePriority('prflx') },
      this.role === 'controlling'
        ? { type: 'ice-controlling', tieBreaker: this.tieBreaker }
        : { type: 'ice-controlled', tieBreaker: this.tieBreaker },
    ]
    if (nominate) attributes.push({ type: 'use-candidate' })
    const request = this.stunRequest(attributes, shortTermKey(remote.pwd))
    if (pair.state !== 'succeeded') pair.state = 'in-progress'
    this.begin(
      now,
      { kind: 'check', pair, nominate },
      request.id,
      request.bytes,
      pair.local.base,
      pair.remote.address,
    )
  }

  private onDatagram(now: Instant, base: CandidateBase, from: Address, bytes: Uint8Array): void {
    if (!isStunMessage(bytes)) {
      // RFC 8445 section 12.1: data is accepted on any pair, not only a validated one. The
      // controlling side starts sending at its selection, which can be before the controlled
      // side's own check on that pair has come back.
      if (this.stateValue === 'connected' || this.stateValue === 'checking') {
        if (this.pairs.has(pairKey(base, from))) this.event({ type: 'data', bytes })
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
    const response = encodeStun(
      {
        method: StunMethod.Binding,
        messageClass: 'success',
        transactionId: message.transactionId,
        attributes: [{ type: 'xor-mapped-address', address: from }],
      },
      { integrity: shortTermKey(this.pwd), fingerprint: true },
    )
    this.transmit(base, from, response)
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
    const pair = this.pairFor(local, remote)
    if (request.useCandidate && this.role === 'controlled') {
      if (pair.state === 'succeeded') this.select(now, pair)
      else pair.nominateOnSuccess = true
    }
    if (pair.state !== 'succeeded' && this.stateValue === 'checking') {
      pair.state = 'waiting'
      this.triggered.push(pair)
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
    const stillTrying = [...this.transactions.values()].some(
      (t) => t.purpose.kind === 'check' && t.purpose.pair === pair,
    )
    if (!stillTrying && pair.state !== 'succeeded') pair.state = 'failed'
    if (purpose.nominate && this.nominating === pair) {
      pair.state = 'failed'
      this.nominating = undefined
    }
    if (this.stateValue === 'checking') {
      this.maybeNominate(now)
      this.maybeFail(now)
    }
  }

  private maybeNominate(now: Instant): void {
    if (this.role !== 'controlling' || this.nominating !== undefined) return
    if (this.stateValue !== 'checking') return
    let best: Pair | undefined
    for (const pair of this.pairs.values()) {
      if (pair.state !== 'succeeded') continue
      const direct = !isRelayedPair(pair.local, pair.remote)
      const bestDirect = best !== undefined && !isRelayedPair(best.local, best.remote)
      if (
        best === undefined ||
        (direct && !bestDirect) ||
        (direct === bestDirect && pair.priority > best.priority)
      ) {
        best = pair
      }
    }
    if (best === undefined) return
    if (isRelayedPair(best.local, best.remote)) {
      const waited =
        this.firstRelayedValidAt !== undefined &&
        now >= after(this.firstRelayedValidAt, ms(this.config.nominationWaitMs))
      const directPending = [...this.pairs.values()].some(
        (p) =>
          !isRelayedPair(p.local, p.remote) && (p.state === 'waiting' || p.state === 'in-progress'),
      )
      if (!waited && directPending) return
    }
    this.nominating = best
    this.check(now, best, true)
  }

  private maybeFail(now: Instant): void {
    if (this.stateValue !== 'checking') return
    const timedOut = this.checkDeadline !== undefined && now >= this.checkDeadline
    const alive = [...this.pairs.values()].some(
      (p) => p.state === 'waiting' || p.state === 'in-progress' || p.state === 'succeeded',
    )
    if (alive && !timedOut) return
    this.stateValue = 'failed'
    this.transactions.clear()
    this.event({
      type: 'failed',
      reason: timedOut ? 'timeout' : 'no_pair_succeeded',
      checksSent: this.checksSent,
    })
  }

  private select(now: Instant, pair: Pair): void {
    if (this.selected !== undefined) return
    this.selected = pair
    this.stateValue = 'connected'
    this.lastSentOnSelected = now
    for (const transaction of [...this.transactions.values()]) {
      if (transaction.purpose.kind === 'check' && transaction.purpose.pair !== pair) {
        this.transactions.delete(transaction.id)
      }
    }
    const report: ConnectionReport = {
      role: this.role,
      path: isRelayedPair(pair.local, pair.remote) ? 'relayed' : 'direct',
      localType: pair.local.type,
      remoteType: pair.remote.type,
      remote: pair.remote.address,
      checksSent: this.checksSent,
      pairTransmissions: pair.transmissions,
      elapsedMs: now - (this.checksStartedAt ?? now),
      rttMs: pair.rttMs ?? 0,
    }
    this.event({ type: 'selected', report })
  }

  private keepalive(now: Instant): void {
    const pair = this.selected
    if (pair === undefined || this.lastSentOnSelected === undefined) return
    // the same sum as nextTimeout's: a difference could round below it and never fire
    if (now < after(this.lastSentOnSelected, ms(this.config.keepaliveMs))) return
    const indication = encodeStun(
      {
        method: StunMethod.Binding,
        messageClass: 'indication',
        transactionId: this.random.bytes(12),
        attributes: [],
      },
      { fingerprint: true },
    )
    this.transmit(pair.local.base, pair.remote.address, indication)
    this.lastSentOnSelected = now
  }

  // --- plumbing -------------------------------------------------------------------------------

  private stunRequest(
    attributes: StunAttribute[],
    integrity?: Uint8Array,
  ): { id: string; bytes: Uint8Array } {
    const transactionId = this.random.bytes(12)
    const bytes = encodeStun(
      { method: StunMethod.Binding, messageClass: 'request', transactionId, attributes },
      integrity === undefined ? { fingerprint: true } : { integrity, fingerprint: true },
    )
    return { id: toHex(transactionId), bytes }
  }

  private begin(
    now: Instant,
    purpose: Purpose,
    id: string,
    bytes: Uint8Array,
    base: CandidateBase,
    to: Address,
  ): void {
    const rto = this.config.rtoMs
    const transaction: Transaction = {
      id,
      purpose,
      bytes,
      base,
      to,
      attempts: 1,
      sentAt: now,
      nextAt: after(now, ms(rto)),
      rto,
    }
    this.transactions.set(id, transaction)
    this.retransmit(transaction)
  }

  private retransmit(transaction: Transaction): void {
    if (transaction.purpose.kind === 'check') {
      this.checksSent++
      transaction.purpose.pair.transmissions++
    }
    this.transmit(transaction.base, transaction.to, transaction.bytes)
  }

  private transmit(base: CandidateBase, to: Address, bytes: Uint8Array): void {
    if (base === 'relay' && this.turn !== undefined) {
      this.turn.send(this.now, to, bytes)
      this.drainTurn(this.now)
      return
    }
    const relay = this.config.relay
    if (base === 'relay' && relay !== undefined) {
      this.emitSend(relay, encodeRelay({ type: 'send', to, payload: bytes }))
    } else {
      this.emitSend(to, bytes)
    }
  }

  private answersOurTransaction(bytes: Uint8Array): boolean {
    if (!isStunMessage(bytes)) return false
    const decoded = decodeStun(new Uint8Array(bytes))
    return decoded.ok && this.transactions.has(toHex(decoded.value.transactionId))
  }

  /** TURN client outputs: its datagrams go out of our socket; its events feed gathering. */
  private drainTurn(now: Instant): void {
    const turn = this.turn
    if (turn === undefined) return
    for (const output of turn.takeOutputs()) {
      if (output.type === 'send') {
        this.emitSend(output.to, output.bytes)
        continue
      }
      const event = output.event
      if (event.type === 'allocated' && this.turnPending) {
        this.turnPending = false
        this.locals.push(makeCandidate('relay', event.relayed, 'relay'))
        this.maybeGathered(now)
      } else if (event.type === 'failed' && event.operation === 'allocate' && this.turnPending) {
        this.turnPending = false
        this.maybeGathered(now)
      } else if (event.type === 'data') {
        this.onDatagram(now, 'relay', event.peer, event.data)
      }
    }
  }

  private emitSend(to: Address, bytes: Uint8Array): void {
    this.outputs.push({ type: 'send', to, bytes })
  }

  private event(event: AgentEvent): void {
    this.outputs.push({ type: 'event', event })
  }

  private token(length: number): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
    let out = ''
    for (let i = 0; i < length; i++) out += alphabet[this.random.int(alphabet.length)]
    return out
  }
}

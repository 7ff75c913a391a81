import type { Address } from '../../core/address.js'
import { after, ms, type Instant } from '../../core/time.js'
import { bindingIndication } from './binding.js'
import { isRelayedPair } from './candidate.js'
import { formatCandidateLine, parseCandidateLine } from './candidate-line.js'
import { candidateFromDescription, type SessionDescription } from './description.js'
import type { AgentOutput, ConnectionReport } from './events.js'
import { connectionReport, type Pair } from './pairs.js'
import { earliest, type PathAction } from './selection.js'
import type { TcpCandidate } from './tcp-candidates.js'
import { tcpReport, type TcpLeg, type TcpPairEntry } from './tcp-leg.js'
import { CheckingAgent, type AgentRole, type AgentState } from './agent-checks.js'

export type { AgentRole, AgentState }

/**
 * An ICE agent (RFC 8445) for one UDP component, sans-IO. It owns one socket (the driver's)
 * and, when given a relay, one relay-lite or TURN allocation reached from that socket; given
 * `config.tcp`, also TCP candidates (RFC 6544, tcp-leg.ts) whose streams the driver opens.
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
 * 5. TCP: its pairs are checked beside the UDP ones; the controlling side nominates a valid
 *    TCP pair when no direct UDP pair succeeded or is pending (or `nominationWaitMs` after it
 *    became valid), before any relayed pair. A TCP selection is final (no upgrade, no
 *    fallback); its datagrams are RFC 4571 frames on the stream.
 */
export class IceAgent extends CheckingAgent {
  get state(): AgentState {
    return this.stateValue
  }

  /** Starts gathering: STUN Binding requests to the servers, ALLOCATE to the relay. */
  start(now: Instant): void {
    this.now = now
    if (this.stateValue !== 'new') return
    this.stateValue = 'gathering'
    for (const request of this.gatherer.start(now, this.hostAddresses)) this.retransmit(request)
    this.tcp?.startGathering(now, this.config.stunServers)
    this.drainTcp(now)
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
      tcp: (description.tcpCandidates ?? [])
        .map(parseCandidateLine)
        .filter((c): c is TcpCandidate => c !== undefined),
    }
    this.maybeStartChecks(now)
  }

  /** Our description for the signalling channel (valid once `gathered` was emitted). */
  localDescription(): SessionDescription {
    const udp = this.gatherer.description(this.ufrag, this.pwd)
    const tcp = this.tcp?.locals ?? []
    return tcp.length === 0 ? udp : { ...udp, tcpCandidates: tcp.map(formatCandidateLine) }
  }

  /** An application datagram over the selected pair; false when not connected. */
  send(now: Instant, bytes: Uint8Array): boolean {
    if (this.tcp?.selected !== undefined) return this.tcpInput(now, (tcp) => tcp.send(bytes))
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
    this.tcp?.timeout(now)
    this.drainTcp(now)
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
      this.tcp?.nextTimeout(),
      state === 'checking' ? this.tcpNominationDue() : undefined,
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

  // --- the TCP component's inputs: what the driver's streams did ---------------------------------

  tcpConnected(now: Instant, conn: number, opened: boolean): void {
    this.tcpInput(now, (tcp) => tcp.connected(now, conn, opened))
  }

  tcpAccepted(now: Instant, conn: number, remote: Address): void {
    this.tcpInput(now, (tcp) => tcp.accepted(now, conn, remote))
  }

  tcpReceive(now: Instant, conn: number, bytes: Uint8Array): void {
    this.tcpInput(now, (tcp) => {
      if (tcp.receive(now, conn, bytes) !== undefined) this.maybeGathered(now)
    })
  }

  tcpClosed(now: Instant, conn: number): void {
    this.tcpInput(now, (tcp) => tcp.closed(conn))
  }

  // --- gathering and starting the checks --------------------------------------------------------

  protected maybeGathered(now: Instant): void {
    const tcpGathering = this.tcp?.gathering === true
    if (this.stateValue !== 'gathering' || !this.gatherer.finish(now, tcpGathering)) return
    this.tcp?.stopGathering()
    this.drainTcp(now)
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
    const credentials = {
      local: { ufrag: this.ufrag, pwd: this.pwd },
      remote: { ufrag: this.remote.ufrag, pwd: this.remote.pwd },
      controlling: this.role === 'controlling',
      tieBreaker: this.tieBreaker,
    }
    this.tcp?.begin(now, this.remote.tcp, credentials)
    this.drainTcp(now)
    this.nextCheckAt = now
    this.sendNextCheck(now)
  }

  // --- the selection: first, upgraded, fallen back ------------------------------------------------

  protected select(now: Instant, pair: Pair): void {
    const relayed = isRelayedPair(pair.local, pair.remote)
    if (this.path.selected !== undefined) {
      // only a relayed session moves, and only to a direct pair
      if (!this.upgrading || relayed) return
      this.path.upgradeTo(now, pair)
      this.endUpgradeChecks()
      this.event({ type: 'upgraded', report: this.report(now, pair) })
      return
    }
    if (this.tcp?.selected !== undefined) return
    this.stateValue = 'connected'
    this.tcp?.abandon()
    this.drainTcp(now)
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
  protected upgradeSucceeded(now: Instant, pair: Pair, nominated: boolean): void {
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

  /** A TCP pair takes the session (nominated); the UDP checks stop. */
  private selectTcp(now: Instant, entry: TcpPairEntry): void {
    const tcp = this.tcp
    if (tcp === undefined || this.stateValue !== 'checking') return
    this.stateValue = 'connected'
    tcp.select(entry)
    this.transactions.deleteWhere((t) => t.purpose.kind === 'check')
    this.nextCheckAt = undefined
    const checks = this.checksSent + tcp.checksSent()
    const report = tcpReport(this.role, entry, checks, this.nomination.elapsedMs(now))
    this.event({ type: 'selected', report })
  }

  private tcpInput<T>(now: Instant, apply: (tcp: TcpLeg) => T): T | false {
    this.now = now
    if (this.tcp === undefined) return false
    const result = apply(this.tcp)
    this.drainTcp(now)
    return result
  }

  /** The TCP component's connections go to the driver; its news to the checks and the app. */
  protected drainTcp(now: Instant): void {
    const tcp = this.tcp
    if (tcp === undefined) return
    for (const event of tcp.takeEvents()) {
      if (event.type === 'valid') this.maybeNominate(now)
      else if (event.type === 'nominated') this.selectTcp(now, event.entry)
      else if (event.type === 'data') this.event(event)
      else if (this.stateValue === 'connected') {
        this.stateValue = 'failed'
        this.event({ type: 'failed', reason: 'connection_lost', checksSent: this.checksSent })
      }
    }
    this.outputs.push(...tcp.takeOutputs())
  }
}

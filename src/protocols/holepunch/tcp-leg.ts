import { sameAddress, type Address } from '../../core/address.js'
import type { Random } from '../../core/random.js'
import { after, ms, type Instant } from '../../core/time.js'
import type { CandidateType } from './candidate.js'
import type { ConnectionReport } from './events.js'
import { makeTcpCandidate, tcpPairs, type TcpCandidate, type TcpPair } from './tcp-candidates.js'
import { TcpCheckLink, type TcpCheckCredentials } from './tcp-check.js'
import {
  hostTcpCandidates,
  TCP_CONNECT_TIMEOUT_DEFAULT_MS,
  tcpGatherAnswer,
  tcpGatherRequest,
  type TcpConfig,
  type TcpGatherRequest,
} from './tcp-gather.js'

/**
 * The agent's TCP component (RFC 6544), sans-IO beside the UDP check list: it names the
 * connections to open (`tcp-connect`, from the S-O port when the pair is simultaneous open),
 * gets told what became of them, and runs one `TcpCheckLink` per connection. The agent
 * decides nomination over both transports (UDP direct first, then TCP, then the relay); this
 * class reports which TCP pairs are valid and carries the selected one's datagrams, RFC 4571
 * framed, so the application's session is the same whichever transport won.
 *
 * Pairs (section 6.2): our active with their passive (we connect), our passive with their
 * active (we wait for their connection: it is matched by address, or becomes a
 * peer-reflexive pair, since a NATed active end arrives from an address it could not
 * signal), S-O with S-O (both connect, from the fixed port, at once).
 */
export type TcpOutput =
  /** Open a stream to `to`; from the local address `from` when given (S-O). */
  | {
      readonly type: 'tcp-connect'
      readonly conn: number
      readonly to: Address
      readonly from?: Address
    }
  | { readonly type: 'tcp-write'; readonly conn: number; readonly bytes: Uint8Array }
  | { readonly type: 'tcp-close'; readonly conn: number }

export type TcpPairState = 'waiting' | 'in-progress' | 'succeeded' | 'failed'

export interface TcpPairEntry {
  readonly pair: TcpPair
  state: TcpPairState
  conn: number | undefined
  /** Controlled side: the other end's check carried USE-CANDIDATE. */
  nominatedByPeer: boolean
  /** Controlling side: our USE-CANDIDATE check is out. */
  nominating: boolean
  validAt: Instant | undefined
  rttMs: number
  checksSent: number
}

export type TcpLegEvent =
  /** Checks succeeded both ways on the pair's connection. */
  | { readonly type: 'valid'; readonly entry: TcpPairEntry }
  /** The pair is nominated (our USE-CANDIDATE check answered, or theirs seen on a valid pair). */
  | { readonly type: 'nominated'; readonly entry: TcpPairEntry }
  | { readonly type: 'data'; readonly bytes: Uint8Array }
  /** The selected pair's connection closed. */
  | { readonly type: 'lost' }

interface Connection {
  readonly id: number
  readonly remote: Address
  entry: TcpPairEntry | undefined
  link: TcpCheckLink | undefined
  gather: TcpGatherRequest | undefined
  deadline: Instant
}

export class TcpLeg {
  private readonly localCandidates: TcpCandidate[]
  private readonly entries: TcpPairEntry[] = []
  private readonly connections = new Map<number, Connection>()
  private readonly outputs: TcpOutput[] = []
  private readonly events: TcpLegEvent[] = []
  private credentials: TcpCheckCredentials | undefined
  private nextConn = 1
  private selectedEntry: TcpPairEntry | undefined
  private readonly timeoutMs: number

  constructor(
    private readonly config: TcpConfig,
    private readonly random: Random,
    hostAddresses: readonly Address[],
  ) {
    this.localCandidates = hostTcpCandidates(config, hostAddresses)
    this.timeoutMs = config.connectTimeoutMs ?? TCP_CONNECT_TIMEOUT_DEFAULT_MS
  }

  get locals(): readonly TcpCandidate[] {
    return this.localCandidates
  }

  get selected(): TcpPairEntry | undefined {
    return this.selectedEntry
  }

  /** Gathering: a Binding request over TCP to each STUN server, from the S-O port. */
  startGathering(now: Instant, stunServers: readonly Address[]): void {
    const so = this.config.so
    if (so === undefined) return
    for (const server of stunServers) {
      const conn = this.open(now, server, so)
      conn.gather = tcpGatherRequest(this.random, server)
    }
  }

  /** True while a STUN server over TCP has not answered or failed. */
  get gathering(): boolean {
    for (const c of this.connections.values()) if (c.gather !== undefined) return true
    return false
  }

  /** Gathering is over: outstanding requests are given up. */
  stopGathering(): void {
    for (const c of [...this.connections.values()]) if (c.gather !== undefined) this.drop(c)
  }

  /** The checks start: pairs with the remote candidates, and the connections we open. */
  begin(now: Instant, remotes: readonly TcpCandidate[], credentials: TcpCheckCredentials): void {
    this.credentials = credentials
    // A server-reflexive candidate's connections leave from its base (the host S-O port): its
    // pairs would repeat the host candidate's (RFC 8445 section 6.1.2.4), so only hosts pair.
    const hosts = this.localCandidates.filter((c) => c.type === 'host')
    for (const pair of tcpPairs(hosts, remotes, credentials.controlling)) {
      const entry = newEntry(pair)
      this.entries.push(entry)
      if (pair.open === 'accept') continue
      const from = pair.open === 'simultaneous' ? this.config.so : undefined
      const conn = this.open(now, pair.remote.address, from)
      conn.entry = entry
      entry.conn = conn.id
      entry.state = 'in-progress'
    }
  }

  /** The driver's connect finished. */
  connected(now: Instant, id: number, opened: boolean): void {
    const conn = this.connections.get(id)
    if (conn === undefined) return
    if (!opened) return this.fail(conn)
    if (conn.gather !== undefined) {
      this.write(conn, conn.gather.bytes)
      return
    }
    const credentials = this.credentials
    if (credentials === undefined) return this.fail(conn)
    conn.link = new TcpCheckLink(this.random, credentials, conn.remote)
    this.sendCheck(now, conn, false)
  }

  /**
   * The driver's listener accepted a connection from `remote` on the passive candidate: it
   * belongs to the pair with that remote active candidate, else to a new peer-reflexive one.
   */
  accepted(now: Instant, id: number, remote: Address): void {
    const credentials = this.credentials
    const passive = this.localCandidates.find((c) => c.tcpType === 'passive')
    if (credentials === undefined || passive === undefined || this.selectedEntry !== undefined) {
      this.outputs.push({ type: 'tcp-close', conn: id })
      return
    }
    let entry = this.entries.find(
      (e) =>
        e.pair.open === 'accept' &&
        e.conn === undefined &&
        e.pair.remote.address.host === remote.host,
    )
    if (entry === undefined) {
      const learnt = makeTcpCandidate('prflx', 'active', remote)
      const [pair] = tcpPairs([passive], [learnt], credentials.controlling)
      if (pair === undefined) return
      entry = newEntry(pair)
      this.entries.push(entry)
    }
    entry.conn = id
    entry.state = 'in-progress'
    const conn: Connection = {
      id,
      remote,
      entry,
      link: new TcpCheckLink(this.random, credentials, remote),
      gather: undefined,
      deadline: after(now, ms(this.timeoutMs)),
    }
    this.connections.set(id, conn)
  }

  /** Bytes read from a connection. */
  receive(now: Instant, id: number, bytes: Uint8Array): TcpCandidate | undefined {
    const conn = this.connections.get(id)
    if (conn === undefined) return undefined
    if (conn.gather !== undefined) return this.gatherAnswer(conn, bytes)
    const link = conn.link
    const entry = conn.entry
    if (link === undefined || entry === undefined) return undefined
    link.receive(now, bytes)
    for (const event of link.takeEvents()) {
      switch (event.type) {
        case 'refused':
          this.fail(conn)
          return undefined
        case 'checked':
          entry.nominatedByPeer ||= event.nominated && !this.controlling
          // the end that did not check yet checks back on this connection (triggered); one
          // already out is not sent again (TCP retransmits, and a new one would orphan it)
          if (entry.checksSent === 0) this.sendCheck(now, conn, false)
          break
        case 'succeeded':
          entry.rttMs = event.rttMs
          if (entry.nominating) this.events.push({ type: 'nominated', entry })
          break
        case 'data':
          this.events.push({ type: 'data', bytes: event.bytes })
          break
      }
      if (link.valid && entry.state !== 'succeeded') {
        entry.state = 'succeeded'
        entry.validAt = now
        this.events.push({ type: 'valid', entry })
      }
      if (link.valid && entry.nominatedByPeer && this.selectedEntry === undefined) {
        this.events.push({ type: 'nominated', entry })
      }
    }
    this.flush(conn)
    return undefined
  }

  /** The connection closed (or failed). */
  closed(id: number): void {
    const conn = this.connections.get(id)
    if (conn === undefined) return
    if (conn.entry !== undefined && conn.entry === this.selectedEntry) {
      this.connections.delete(id)
      this.events.push({ type: 'lost' })
      return
    }
    this.fail(conn)
  }

  /** Controlling: nominate a valid pair (a check with USE-CANDIDATE on its connection). */
  nominate(now: Instant, entry: TcpPairEntry): void {
    const conn = entry.conn === undefined ? undefined : this.connections.get(entry.conn)
    if (conn === undefined) return
    entry.nominating = true
    this.sendCheck(now, conn, true)
    this.flush(conn)
  }

  /** The pair carries the session: every other connection closes. */
  select(entry: TcpPairEntry): void {
    this.selectedEntry = entry
    for (const conn of [...this.connections.values()]) if (conn.entry !== entry) this.drop(conn)
  }

  /** The selected pair ends too: the other side's UDP pair (or the relay) won. */
  abandon(): void {
    for (const conn of [...this.connections.values()]) this.drop(conn)
  }

  /** An application datagram on the selected pair, one RFC 4571 frame. */
  send(bytes: Uint8Array): boolean {
    const entry = this.selectedEntry
    const conn = entry?.conn === undefined ? undefined : this.connections.get(entry.conn)
    if (conn?.link === undefined || !conn.link.send(bytes)) return false
    this.flush(conn)
    return true
  }

  /** The best valid pair (by priority), if any. */
  bestValid(): TcpPairEntry | undefined {
    let best: TcpPairEntry | undefined
    for (const e of this.entries) {
      if (e.state !== 'succeeded') continue
      if (best === undefined || e.pair.priority > best.pair.priority) best = e
    }
    return best
  }

  somePending(): boolean {
    return this.entries.some((e) => e.state === 'in-progress' || e.state === 'waiting')
  }

  someAlive(): boolean {
    return this.entries.some((e) => e.state !== 'failed')
  }

  nominating(): boolean {
    return this.entries.some((e) => e.nominating && e.state === 'succeeded')
  }

  checksSent(): number {
    return this.entries.reduce((sum, e) => sum + e.checksSent, 0)
  }

  timeout(now: Instant): void {
    for (const conn of [...this.connections.values()]) {
      const done = conn.link?.valid === true && conn.gather === undefined
      if (!done && now >= conn.deadline) this.fail(conn)
    }
  }

  nextTimeout(): Instant | undefined {
    let next: Instant | undefined
    for (const conn of this.connections.values()) {
      if (conn.link?.valid === true) continue
      if (next === undefined || conn.deadline < next) next = conn.deadline
    }
    return next
  }

  takeOutputs(): TcpOutput[] {
    return this.outputs.splice(0)
  }

  takeEvents(): TcpLegEvent[] {
    return this.events.splice(0)
  }

  private get controlling(): boolean {
    return this.credentials?.controlling === true
  }

  private open(now: Instant, to: Address, from: Address | undefined): Connection {
    const id = this.nextConn++
    const conn: Connection = {
      id,
      remote: to,
      entry: undefined,
      link: undefined,
      gather: undefined,
      deadline: after(now, ms(this.timeoutMs)),
    }
    this.connections.set(id, conn)
    this.outputs.push(
      from === undefined
        ? { type: 'tcp-connect', conn: id, to }
        : { type: 'tcp-connect', conn: id, to, from },
    )
    return conn
  }

  private sendCheck(now: Instant, conn: Connection, nominate: boolean): void {
    if (conn.link === undefined || conn.entry === undefined) return
    conn.link.check(now, nominate && this.controlling)
    conn.entry.checksSent++
    this.flush(conn)
  }

  private gatherAnswer(conn: Connection, bytes: Uint8Array): TcpCandidate | undefined {
    const request = conn.gather
    if (request === undefined) return undefined
    const answer = tcpGatherAnswer(request, bytes)
    if (answer === undefined) return undefined
    this.drop(conn)
    if (answer === 'failed') return undefined
    const so = this.config.so
    const known = this.localCandidates.some(
      (c) => c.tcpType === 'so' && sameAddress(c.address, answer.address),
    )
    if (so === undefined || known) return undefined
    this.localCandidates.push(answer)
    return answer
  }

  private flush(conn: Connection): void {
    for (const bytes of conn.link?.takeWrites() ?? []) this.write(conn, bytes)
  }

  private write(conn: Connection, bytes: Uint8Array): void {
    this.outputs.push({ type: 'tcp-write', conn: conn.id, bytes })
  }

  private fail(conn: Connection): void {
    if (conn.entry !== undefined) conn.entry.state = 'failed'
    this.drop(conn)
  }

  private drop(conn: Connection): void {
    this.connections.delete(conn.id)
    this.outputs.push({ type: 'tcp-close', conn: conn.id })
  }
}

function newEntry(pair: TcpPair): TcpPairEntry {
  return {
    pair,
    state: 'waiting',
    conn: undefined,
    nominatedByPeer: false,
    nominating: false,
    validAt: undefined,
    rttMs: 0,
    checksSent: 0,
  }
}

/** A TCP selection as the agent reports it. */
export const tcpReport = (
  role: ConnectionReport['role'],
  entry: TcpPairEntry,
  checksSent: number,
  elapsedMs: number,
): ConnectionReport => ({
  role,
  path: 'direct',
  transport: 'tcp',
  localType: entry.pair.local.type as CandidateType,
  remoteType: entry.pair.remote.type as CandidateType,
  remote: entry.pair.remote.address,
  checksSent,
  pairTransmissions: entry.checksSent,
  elapsedMs,
  rttMs: entry.rttMs,
})

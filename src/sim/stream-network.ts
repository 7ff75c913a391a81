import { sameAddress, type Address } from '../core/address.js'
import type { Callback, StreamListener, StreamSocket } from '../core/env.js'
import { OperationalError } from '../core/errors.js'
import { err, ok } from '../core/result.js'
import type { Life, NetHost } from './net-host.js'
import type { SimNetwork } from './network.js'
import { StreamEnd } from './stream-end.js'

/**
 * Opening and accepting stream connections: a three-way handshake in virtual time.
 *
 * ```
 * client                          server
 *   connect ── SYN ─────────────▶  0.5 RTT: listener?  no: RST ──▶ 1 RTT: 'refused'
 *   1 RTT: connected ◀── SYN-ACK ─┘          yes: half-open (backlog-bounded)
 *          ── ACK ──────────────▶  1.5 RTT: onConnection (listener still open, else RST)
 * ```
 *
 * The client may write from 1 RTT; its bytes reach the server after the ACK, so the server
 * sees them after `onConnection`. A SYN to an address nobody answers for (no host, a host that
 * is down, a NAT's public address: inbound streams through NAT are dropped) is lost, and the
 * client fails with 'timeout' after the connect timeout. RTT = latency there + latency back,
 * both drawn once per connection.
 *
 * A SYN that is lost (its host is down) or dropped (a listener given a backlog bound, see
 * `SimWorldOptions.listenBacklogMax`) is sent again, as Linux does: after 1 s, then 2, 4,
 * 8 ... s (`tcp_syn_retries`), until the connect timeout. The simulator used to drop every SYN
 * past a backlog of 128 for good: 300 peers announcing to one tracker at once lost half their
 * announces, and the swarm waited 85 s for the seed's retry.
 */

/** Linux's initial SYN retransmission timeout; each retransmission doubles it. */
const SYN_RTO_FIRST_MS = 1000

export class SimStreamListener implements StreamListener {
  closed = false
  /** Half-open connections waiting for their ACK (the SYN backlog). */
  halfOpen = 0

  constructor(
    readonly host: NetHost,
    readonly life: Life,
    readonly local: Address,
    readonly onConnection: (socket: StreamSocket) => void,
  ) {}

  close(): void {
    if (this.closed) return
    this.closed = true
    const listeners = this.host.listeners
    const index = listeners.indexOf(this)
    if (index !== -1) listeners.splice(index, 1)
  }
}

/** One connection attempt, from SYN to established or failed. */
interface Attempt {
  readonly network: SimNetwork
  readonly client: StreamEnd
  readonly ready: Callback<StreamSocket>
  readonly target: NetHost | undefined
  readonly remote: Address
  /** How the server sees the client (its NAT's public side when it has one). */
  readonly apparent: Address
  readonly latencyThereMs: number
  readonly latencyBackMs: number
  /** The client's life: retransmissions stop with it. */
  readonly life: Life
  finished: boolean
  server: StreamEnd | undefined
  listener: SimStreamListener | undefined
  /** When the next SYN goes out if no SYN-ACK came: doubles each time. */
  synRtoMs: number
  /** From a chosen port (simultaneous open): its SYN may cross the far side's NAT. */
  readonly bound: boolean
}

/**
 * Connections from a chosen port still waiting for their SYN-ACK, by host: a SYN that arrives
 * for one of them from the address it is connecting to is a simultaneous open.
 */
const boundAttempts = new WeakMap<NetHost, Set<Attempt>>()

export function connectStream(
  network: SimNetwork,
  host: NetHost,
  life: Life,
  local: Address,
  remote: Address,
  ready: Callback<StreamSocket>,
  timeoutMs: number,
  bound = false,
): void {
  const scheduler = network.scheduler
  network.counters.streamConnects++
  const route = remote.host === host.address ? host : network.route(remote.host)
  // Unsolicited inbound connections to a NAT's public address are dropped by the box; a bound
  // connection's SYN is let in when a mapping of the far box allows it (see `synArrived`).
  const target =
    route !== undefined && route.nat !== undefined && route !== host && !bound ? undefined : route
  const latencyThereMs = target === undefined ? 0 : network.latencyMs(host, target)
  const latencyBackMs = target === undefined ? 0 : network.latencyMs(target, host)
  const client = new StreamEnd(network, host, life, local, remote, target ?? host, latencyThereMs)
  client.ownsPort = !bound
  const apparent =
    host.nat === undefined || target === host
      ? local
      : bound
        ? host.nat.streamOutbound(scheduler.now(), local.port, remote)
        : { host: host.nat.publicHost, port: host.nat.allocateStreamPort() }
  const attempt: Attempt = {
    network,
    client,
    ready,
    target,
    remote,
    apparent,
    latencyThereMs,
    latencyBackMs,
    life,
    finished: false,
    server: undefined,
    listener: undefined,
    synRtoMs: SYN_RTO_FIRST_MS,
    bound,
  }
  if (bound) {
    const pending = boundAttempts.get(host) ?? new Set()
    boundAttempts.set(host, pending)
    pending.add(attempt)
  }
  traceStream(network, local, remote, 'syn')
  scheduler.schedule(scheduler.now() + timeoutMs, connectTimedOut, attempt, life)
  if (target !== undefined)
    scheduler.schedule(scheduler.now() + latencyThereMs, synArrived, attempt)
  scheduler.schedule(scheduler.now() + attempt.synRtoMs, synRetransmit, attempt, life)
}

/** No SYN-ACK yet and the server holds no half-open entry for us: the SYN was lost. */
function synRetransmit(attempt: Attempt): void {
  const { network, client, target } = attempt
  if (attempt.finished || client.dead || attempt.server !== undefined) return
  const scheduler = network.scheduler
  network.counters.streamSynRetransmits++
  traceStream(network, client.local, attempt.remote, 'syn_retransmit')
  // every SYN refreshes our NAT's mapping (and its permission for the far end)
  const nat = client.host.nat
  if (attempt.bound && nat !== undefined && target !== client.host) {
    nat.streamOutbound(scheduler.now(), client.local.port, attempt.remote)
  }
  if (target !== undefined) {
    scheduler.schedule(scheduler.now() + attempt.latencyThereMs, synArrived, attempt)
  }
  attempt.synRtoMs *= 2
  scheduler.schedule(scheduler.now() + attempt.synRtoMs, synRetransmit, attempt, attempt.life)
}

function synArrived(attempt: Attempt): void {
  const { network, target, remote } = attempt
  // A retransmitted SYN behind one that got in (or after the client gave up) changes nothing.
  if (attempt.finished || attempt.server !== undefined) return
  if (target === undefined || !target.up) return // lost: sent again, then the client times out
  const scheduler = network.scheduler
  let port = remote.port
  if (target.nat !== undefined && target !== attempt.client.host) {
    // a bound connection's SYN at a NAT's public address: in only on a mapping that allows it
    const inside = target.nat.streamInbound(scheduler.now(), remote.port, attempt.apparent)
    if (inside === undefined) return // dropped by the box: sent again, or the client times out
    port = inside
  }
  const crossing = attempt.bound ? crossingAttempt(target, port, attempt.apparent) : undefined
  if (crossing !== undefined) return simultaneousOpen(attempt, crossing)
  const listener = target.listeners.find((l) => l.local.port === port && !l.closed)
  if (listener === undefined) {
    scheduler.schedule(scheduler.now() + attempt.latencyBackMs, refusedArrived, attempt)
    return
  }
  if (listener.halfOpen >= network.settings.listenBacklogMax) return // SYN queue full: dropped
  const local = { host: target.address, port }
  const server = new StreamEnd(
    network,
    target,
    target.life,
    local,
    attempt.apparent,
    attempt.client.host,
    attempt.latencyBackMs,
  )
  server.peer = attempt.client
  attempt.client.peer = server
  attempt.server = server
  attempt.listener = listener
  listener.halfOpen++
  scheduler.schedule(scheduler.now() + attempt.latencyBackMs, synAckArrived, attempt)
  // A half-open connection whose ACK never comes (the client vanished) is dropped silently.
  const expiry = scheduler.now() + network.settings.connectTimeoutMs
  scheduler.schedule(expiry, halfOpenExpired, attempt, target.life)
}

/** The far host's own bound connection from `port` to `from`, still waiting, if any. */
function crossingAttempt(host: NetHost, port: number, from: Address): Attempt | undefined {
  for (const other of boundAttempts.get(host) ?? []) {
    const waiting = !other.finished && !other.client.dead && other.server === undefined
    const matches = other.client.local.port === port && sameAddress(other.remote, from)
    if (waiting && matches) return other
  }
  return undefined
}

/**
 * RFC 9293 section 3.5, figure 8: our SYN reached a host whose own SYN to us is out, from the
 * port ours is addressed to. Both ends answer SYN-ACK and the one connection is open: the far
 * end at once (it has our SYN and sends its SYN-ACK), ours when its SYN-ACK gets back.
 */
function simultaneousOpen(ours: Attempt, theirs: Attempt): void {
  const { network } = ours
  ours.client.peer = theirs.client
  theirs.client.peer = ours.client
  ours.server = theirs.client
  theirs.server = ours.client
  establish(theirs)
  const scheduler = network.scheduler
  scheduler.schedule(scheduler.now() + ours.latencyBackMs, establishSimultaneous, ours)
}

function establishSimultaneous(attempt: Attempt): void {
  if (attempt.finished || attempt.client.dead) return
  establish(attempt)
}

function establish(attempt: Attempt): void {
  const { network, client } = attempt
  attempt.finished = true
  boundAttempts.get(client.host)?.delete(attempt)
  network.counters.streamsEstablished++
  client.open()
  traceStream(network, client.local, client.remote, 'simultaneous_open')
  attempt.ready(ok(client))
}

function synAckArrived(attempt: Attempt): void {
  const { network, client } = attempt
  if (client.dead) return
  if (attempt.finished) {
    // We gave up already: our RST makes the server drop its half-open entry.
    dropHalfOpen(attempt)
    return
  }
  attempt.finished = true
  boundAttempts.get(client.host)?.delete(attempt)
  network.counters.streamsEstablished++
  client.open()
  traceStream(network, client.local, client.remote, 'established')
  const scheduler = network.scheduler
  scheduler.schedule(scheduler.now() + attempt.latencyThereMs, ackArrived, attempt)
  attempt.ready(ok(client))
}

function ackArrived(attempt: Attempt): void {
  const { network, server, listener } = attempt
  if (server === undefined || listener === undefined) return
  listener.halfOpen--
  attempt.listener = undefined
  if (server.dead || server.state === 'closed') {
    if (server.host.up) server.out.sendReset()
    return
  }
  if (listener.closed || !listener.life.alive) {
    server.discard()
    server.out.sendReset()
    return
  }
  network.counters.streamsAccepted++
  server.open()
  traceStream(network, server.local, server.remote, 'accepted')
  listener.onConnection(server)
}

function refusedArrived(attempt: Attempt): void {
  const { network, client } = attempt
  if (attempt.finished || client.dead) return
  attempt.finished = true
  boundAttempts.get(client.host)?.delete(attempt)
  network.counters.streamsRefused++
  client.discard()
  traceStream(network, client.local, attempt.remote, 'refused')
  attempt.ready(
    err(new OperationalError('refused', `connection refused by ${key(attempt.remote)}`)),
  )
}

function connectTimedOut(attempt: Attempt): void {
  const { network, client } = attempt
  if (attempt.finished || client.dead) return
  attempt.finished = true
  boundAttempts.get(client.host)?.delete(attempt)
  network.counters.streamConnectTimeouts++
  client.discard()
  traceStream(network, client.local, attempt.remote, 'connect_timeout')
  attempt.ready(err(new OperationalError('timeout', `connect to ${key(attempt.remote)} timed out`)))
}

function halfOpenExpired(attempt: Attempt): void {
  if (attempt.server?.state === 'connecting') dropHalfOpen(attempt)
}

function dropHalfOpen(attempt: Attempt): void {
  const { server, listener } = attempt
  if (listener === undefined) return
  listener.halfOpen--
  attempt.listener = undefined
  server?.discard()
}

const key = (a: Address): string => `${a.host}:${a.port}`

function traceStream(network: SimNetwork, from: Address, to: Address, what: string): void {
  if (!network.trace.enabled) return
  network.trace.record(`${network.scheduler.now()} stream ${key(from)}>${key(to)} ${what}`)
}

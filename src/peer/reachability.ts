import { addressKey, sameAddress, type Address } from '../core/address.js'
import { toHex } from '../core/bytes.js'
import type { Callback, DatagramSocket, Env, TimerHandle } from '../core/env.js'
import { OperationalError } from '../core/errors.js'
import { err, ok } from '../core/result.js'
import { after, seconds } from '../core/time.js'
import { attachAgent, type AgentSession } from '../drivers/holepunch/attach-agent.js'
import type { DhtAgent } from '../drivers/kademlia/dht-agent.js'
import { probeNat } from '../drivers/nat/probe.js'
import { IceAgent } from '../protocols/holepunch/agent.js'
import { decodeSignal, type SignalMessage } from '../protocols/holepunch/description.js'
import type { NatReport } from '../protocols/stun/index.js'
import { calleeChannel, callerChannel, type CalleeChannel } from './mailbox-signal.js'
import { RelayOffering } from './reachability-relay.js'
import type { ReachabilityConfig, ReachabilityStatus, ReachSession } from './reachability-types.js'
import { RelayReservations, DEFAULT_RESERVATION_TIMING } from './relay-reservations.js'
import { ServiceDirectory } from './service-directory.js'
import { decodeSignedRecord, type ServiceRecord } from './service-record.js'

/**
 * Reachability as a service of the Peer (a plug-in named `reachability`): it decides whether
 * this peer can be reached (STUN probe, or `assume`), then either serves as a relay
 * (reachability-relay.ts) or keeps reservations with relays found through the DHT and
 * publishes a signed `reachable` record naming their mailboxes. `connect(key)` reaches a peer
 * from its record: the offer goes to the mailbox, the hole-punch agents take it from there
 * (direct where the NATs allow, else relayed, upgraded to direct when a direct pair comes up).
 */
export class Reachability {
  readonly name = 'reachability'
  private readonly directory: ServiceDirectory
  private readonly seed: Uint8Array
  private state: ReachabilityStatus['state'] = 'probing'
  private probeReport: NatReport | undefined
  private relayOffering: RelayOffering | undefined
  private reservations: RelayReservations | undefined
  private recordKeeper: { stop(): void; now(): void } | undefined
  private recordStoredOn = 0
  private findTimer: TimerHandle | undefined
  private finding = false
  private readonly incoming = new Map<string, { channel: CalleeChannel; first: SignalMessage }>()
  private readonly live = new Set<AgentSession>()
  private readonly counts = { incoming: 0, outgoing: 0, upgraded: 0 }
  private sessionHandler: (session: ReachSession) => void = () => undefined
  private stopped = false
  private sessionCounter = 0

  constructor(
    private readonly env: Env,
    dht: () => DhtAgent | undefined,
    private readonly config: ReachabilityConfig,
  ) {
    this.seed = config.seed ?? env.random.bytes(32)
    this.directory = new ServiceDirectory(
      { clock: env.clock, hashing: env.hashing, signing: env.signing, unixNow: config.unixNow },
      dht,
      this.seed,
    )
  }

  /** Our ed25519 public key: what another peer names to reach us. */
  get key(): Uint8Array {
    return this.directory.key
  }

  /** The DHT side of service records, for other services (onion relays) to publish with. */
  get services(): ServiceDirectory {
    return this.directory
  }

  /** Sessions other peers open to us (through our relays' mailboxes). */
  onSession(handler: (session: ReachSession) => void): void {
    this.sessionHandler = handler
  }

  start(done: Callback<void>): void {
    const decided = (reachable: boolean): void => {
      if (this.stopped) return
      this.state = reachable ? 'reachable' : 'unreachable'
      if (reachable) this.serve()
      else this.reserve()
    }
    const stun = this.config.stun
    if (this.config.assume !== undefined || stun === undefined) {
      this.env.clock.setTimer(this.env.clock.now(), () => {
        decided(this.config.assume === 'reachable')
        done(ok(undefined))
      })
      return
    }
    this.bind((socket) => {
      probeNat(this.env, socket, { server: stun, local: [socket.local] }, (report) => {
        socket.close()
        this.probeReport = report
        decided(report.reachable)
      })
      done(ok(undefined))
    }, done)
  }

  stop(done: Callback<void>): void {
    this.stopped = true
    this.state = 'stopped'
    if (this.findTimer !== undefined) this.env.clock.clearTimer(this.findTimer)
    this.recordKeeper?.stop()
    this.relayOffering?.stop()
    this.reservations?.close()
    for (const session of this.live) session.close()
    this.live.clear()
    this.env.clock.setTimer(this.env.clock.now(), () => done(ok(undefined)))
  }

  status(): ReachabilityStatus {
    const probe = this.probeReport
    const relay = this.relayOffering?.status()
    return {
      key: toHex(this.key),
      state: this.state,
      ...(probe === undefined
        ? {}
        : {
            probe: {
              mapping: probe.mapping,
              filtering: probe.filtering,
              ...(probe.mapped === undefined ? {} : { mapped: addressKey(probe.mapped) }),
            },
          }),
      ...(relay === undefined ? {} : { relay }),
      reservations: (this.reservations?.reservations ?? []).map((r) => ({
        relay: addressKey(r.relay),
        mailbox: addressKey(r.mailbox),
      })),
      recordStoredOn: this.recordStoredOn,
      sessions: { ...this.counts },
    }
  }

  /**
   * Reaches the peer whose key is `key`: its `reachable` record from the DHT (verified), an
   * offer through the first relay it names, then the checks. `done` has the session once a
   * pair is selected.
   */
  connect(key: Uint8Array, done: Callback<ReachSession>): void {
    if (this.stopped) return this.fail(done, 'closed', 'reachability is stopped')
    this.directory.fetch('reachable', key, (found) => {
      if (!found.ok)
        return done(err(new OperationalError('not_found', `no record: ${found.error}`)))
      const via = found.value.fields.via[0]
      if (via === undefined) return this.fail(done, 'unreachable', 'the record names no relay')
      this.bind((signalSocket) => {
        this.bind(
          (agentSocket) => {
            const channel = callerChannel(signalSocket, this.env.clock, via.mailbox)
            const agent = this.agentFor('controlling', agentSocket, via.relay)
            const session = `s${toHex(this.env.random.bytes(8))}`
            this.counts.outgoing++
            this.run(agent, agentSocket, channel, session, via.mailbox, 'outgoing', done)
          },
          (failed) => {
            signalSocket.close()
            done(failed)
          },
        )
      }, done)
    })
  }

  // --- serving ----------------------------------------------------------------------------------

  private serve(): void {
    const offer = this.config.relay
    if (offer === undefined) return
    const offering = new RelayOffering(this.env, this.directory, offer, this.recordTimes())
    this.relayOffering = offering
    offering.start(this.config.host, (error) => {
      if (error !== undefined) {
        this.env.log.log('warn', 'the relay did not start', { error: error.message })
        this.relayOffering = undefined
      }
    })
  }

  // --- reserving --------------------------------------------------------------------------------

  private reserve(): void {
    this.bind(
      (socket) => {
        if (this.stopped) return socket.close()
        const timing = this.config.reservationTiming ?? DEFAULT_RESERVATION_TIMING
        const reservations = new RelayReservations(
          socket,
          this.env.clock,
          this.env.random.fork('reservations'),
          timing,
        )
        this.reservations = reservations
        reservations.onInbound((relay, from, payload) => this.inbound(relay, from, payload))
        reservations.onLost(() => {
          this.recordKeeper?.now()
          this.findRelays()
        })
        this.recordKeeper = this.directory.keep(
          () => this.reachableDraft(),
          this.recordTimes(),
          (result) => {
            if (result !== undefined) this.recordStoredOn = result.stored
          },
        )
        this.findRelays()
      },
      (failed) => {
        if (failed.ok) return
        this.env.log.log('warn', 'no socket for relay reservations', {
          error: failed.error.message,
        })
      },
    )
  }

  private reachableDraft():
    | {
        kind: 'reachable'
        address: Address
        fields: { via: { relay: Address; mailbox: Address }[] }
      }
    | undefined {
    const held = this.reservations?.reservations ?? []
    const first = held[0]
    if (first === undefined) return undefined
    return {
      kind: 'reachable',
      address: first.mailbox,
      fields: { via: held.map((r) => ({ relay: r.relay, mailbox: r.mailbox })) },
    }
  }

  /** Finds relays in the DHT and reserves until `reservations` are held; retries while short. */
  private findRelays(): void {
    const reservations = this.reservations
    if (reservations === undefined || this.stopped || this.finding) return
    const wanted = this.config.reservations ?? 2
    if (reservations.reservations.length >= wanted) return
    this.finding = true
    this.directory.offering('relay', (addresses) => {
      // each node holding the announce names the relay again: one entry per address
      const unique = new Map(addresses.map((a) => [addressKey(a), a]))
      const fresh = [...unique.values()].filter(
        (a) => !reservations.reservations.some((r) => sameAddress(r.relay, a)),
      )
      this.identifyAll(reservations, fresh.slice(0, 8), (relays) => {
        relays.sort((x, y) => y.fields.uptimeSec - x.fields.uptimeSec)
        const want = wanted - reservations.reservations.length
        this.reserveWith(reservations, relays.slice(0, want), () => {
          this.finding = false
          this.recordKeeper?.now()
          if (reservations.reservations.length < wanted) this.retryFindLater()
        })
      })
    })
  }

  private retryFindLater(): void {
    if (this.stopped || this.findTimer !== undefined) return
    const every = seconds(this.config.findRelaysEverySec ?? 30)
    this.findTimer = this.env.clock.setTimer(after(this.env.clock.now(), every), () => {
      this.findTimer = undefined
      this.findRelays()
    })
  }

  /** The relays that answer IDENTIFY with a valid record for the address they were found at. */
  private identifyAll(
    reservations: RelayReservations,
    addresses: readonly Address[],
    done: (relays: ServiceRecord<'relay'>[]) => void,
  ): void {
    const relays: ServiceRecord<'relay'>[] = []
    let left = addresses.length
    if (left === 0) return done(relays)
    for (const address of addresses) {
      reservations.identify(address, (bytes) => {
        const signed = bytes === undefined ? undefined : decodeSignedRecord(bytes)
        if (signed?.ok === true) {
          const record = this.directory.verify('relay', signed.value)
          if (record.ok && sameAddress(record.value.address, address)) relays.push(record.value)
        }
        if (--left === 0) done(relays)
      })
    }
  }

  private reserveWith(
    reservations: RelayReservations,
    relays: readonly ServiceRecord<'relay'>[],
    done: () => void,
  ): void {
    let left = relays.length
    if (left === 0) return done()
    for (const relay of relays) {
      reservations.reserve(relay.address, () => {
        if (--left === 0) done()
      })
    }
  }

  // --- sessions ---------------------------------------------------------------------------------

  /** A datagram at one of our mailboxes: a caller's offer, or its repeat. */
  private inbound(relay: Address, from: Address, payload: Uint8Array): void {
    const reservations = this.reservations
    if (reservations === undefined || this.stopped) return
    const decoded = decodeSignal(payload)
    if (!decoded.ok) return
    const message = decoded.value
    const key = `${addressKey(from)}/${message.session}`
    const known = this.incoming.get(key)
    if (known !== undefined) return known.channel.deliver(message)
    if (message.kind !== 'offer' || this.live.size >= (this.config.sessionsMax ?? 32)) return
    const channel = calleeChannel((bytes) => reservations.send(relay, from, bytes))
    this.incoming.set(key, { channel, first: message })
    this.bind(
      (socket) => {
        const agent = this.agentFor('controlled', socket, relay)
        this.counts.incoming++
        const ended = (): void => void this.incoming.delete(key)
        this.run(
          agent,
          socket,
          channel,
          message.session,
          from,
          'incoming',
          (started) => {
            if (started.ok) this.sessionHandler(started.value)
          },
          ended,
        )
        channel.deliver(message)
      },
      () => this.incoming.delete(key),
    )
  }

  private agentFor(
    role: 'controlling' | 'controlled',
    socket: DatagramSocket,
    relay: Address,
  ): IceAgent {
    const hosts = this.config.advertiseHost === false ? [] : [socket.local]
    const stun = this.config.stun
    return new IceAgent(role, this.env.random.fork(`session-${this.sessionCounter++}`), hosts, {
      ...this.config.agent,
      relay,
      ...(stun === undefined ? {} : { stunServers: [stun] }),
    })
  }

  private run(
    agent: IceAgent,
    socket: DatagramSocket,
    channel: Parameters<typeof attachAgent>[3],
    session: string,
    via: Address,
    direction: ReachSession['direction'],
    done: Callback<ReachSession>,
    ended: () => void = () => undefined,
  ): void {
    let settled = false
    // the application's handle, made once the agent is attached: closing it frees our slot
    const handle: { session?: AgentSession } = {}
    const close = (): void => {
      if (handle.session === undefined || !this.live.delete(handle.session)) return
      attached.close()
      ended()
    }
    const attached = attachAgent(agent, socket, this.env.clock, channel, session, (event) => {
      if (event.type === 'upgraded') this.counts.upgraded++
      const current = handle.session
      if (settled || current === undefined) return
      if (event.type === 'selected') {
        settled = true
        done(ok({ direction, via, session: current }))
      } else if (event.type === 'failed') {
        settled = true
        close()
        done(err(new OperationalError('unreachable', `hole punch failed: ${event.reason}`)))
      }
    })
    handle.session = { ...attached, close }
    this.live.add(handle.session)
  }

  // --- plumbing ---------------------------------------------------------------------------------

  private recordTimes(): { lifetimeSec: number; refreshSec: number } {
    return {
      lifetimeSec: this.config.recordLifetimeSec ?? 3600,
      refreshSec: this.config.refreshSec ?? 600,
    }
  }

  private bind(use: (socket: DatagramSocket) => void, failed: Callback<never>): void {
    this.env.net.bindDatagram({ host: this.config.host, port: 0 }, (bound) => {
      if (!bound.ok) return failed(bound)
      use(bound.value)
    })
  }

  private fail<T>(done: Callback<T>, code: 'closed' | 'unreachable', message: string): void {
    const failure = err(new OperationalError(code, message))
    this.env.clock.setTimer(this.env.clock.now(), () => done(failure))
  }
}

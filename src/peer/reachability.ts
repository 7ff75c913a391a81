import { addressKey, sameAddress, type Address } from '../core/address.js'
import { toHex } from '../core/bytes.js'
import type { Callback, DatagramSocket, Env, TimerHandle } from '../core/env.js'
import { OperationalError } from '../core/errors.js'
import { err, ok } from '../core/result.js'
import { after, seconds } from '../core/time.js'
import type { DhtAgent } from '../drivers/kademlia/dht-agent.js'
import { probeNat } from '../drivers/nat/probe.js'
import type { NatReport } from '../protocols/stun/index.js'
import { ReachSessions } from './reach-sessions.js'
import { RelayOffering } from './reachability-relay.js'
import type { ReachabilityConfig, ReachabilityStatus, ReachSession } from './reachability-types.js'
import { RelayReservations, DEFAULT_RESERVATION_TIMING } from './relay-reservations.js'
import { ServiceDirectory, type RecordDraft } from './service-directory.js'
import { decodeSignedRecord, type ReachableVia, type ServiceRecord } from './service-record.js'
import { TurnReservations } from './turn-reservations.js'
import { isVouchedTurn, TurnSponsor } from './turn-sponsor.js'

/**
 * Reachability as a service of the Peer (a plug-in named `reachability`): it decides whether
 * this peer can be reached (STUN probe, or `assume`), then either serves as a relay
 * (reachability-relay.ts: relay-lite or TURN) or keeps reservations with relays found through
 * the DHT (relay-reservations.ts, turn-reservations.ts) and publishes a signed `reachable`
 * record naming their mailboxes. `connect(key)` reaches a peer from its record; the sessions
 * themselves are reach-sessions.ts (direct where the NATs allow, else relayed, upgraded to
 * direct when a direct pair comes up, back to the relay when it dies).
 */
export class Reachability {
  readonly name = 'reachability'
  private readonly directory: ServiceDirectory
  private readonly seed: Uint8Array
  private state: ReachabilityStatus['state'] = 'probing'
  private probeReport: NatReport | undefined
  private relayOffering: RelayOffering | undefined
  private turnSponsor: TurnSponsor | undefined
  private reservations: RelayReservations | undefined
  private turnReservations: TurnReservations | undefined
  private recordKeeper: { stop(): void; now(): void } | undefined
  private recordStoredOn = 0
  private findTimer: TimerHandle | undefined
  private finding = false
  private readonly sessions: ReachSessions
  private stopped = false

  constructor(
    private readonly env: Env,
    dht: () => DhtAgent | undefined,
    private readonly config: ReachabilityConfig,
    /** The peer's `defer` when its world gave one (Node: setImmediate): relays batch sends. */
    private readonly defer?: (fn: () => void) => void,
  ) {
    this.seed = config.seed ?? env.random.bytes(32)
    this.directory = new ServiceDirectory(
      { clock: env.clock, hashing: env.hashing, signing: env.signing, unixNow: config.unixNow },
      dht,
      this.seed,
    )
    this.sessions = new ReachSessions(env, config, (use, failed) => this.bind(use, failed))
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
    this.sessions.onSession(handler)
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
    this.turnSponsor?.stop()
    this.reservations?.close()
    this.turnReservations?.close()
    this.sessions.closeAll()
    this.env.clock.setTimer(this.env.clock.now(), () => done(ok(undefined)))
  }

  status(): ReachabilityStatus {
    const probe = this.probeReport
    const relay = this.relayOffering?.status()
    const sponsor = this.turnSponsor?.status()
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
      ...(sponsor === undefined ? {} : { turnSponsor: sponsor }),
      reservations: this.via().map((v) => ({
        relay: addressKey(v.relay),
        mailbox: addressKey(v.mailbox),
        protocol: v.turn === undefined ? 'relay-lite' : 'turn',
      })),
      recordStoredOn: this.recordStoredOn,
      sessions: { ...this.sessions.counts },
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
      this.sessions.connect(via, done)
    })
  }

  // --- serving ----------------------------------------------------------------------------------

  private serve(): void {
    const offer = this.config.relay
    if (offer === undefined) return this.sponsor()
    const records = this.recordTimes()
    const offering = new RelayOffering(
      this.env,
      this.directory,
      offer,
      records,
      this.config.unixNow,
      this.defer,
    )
    this.relayOffering = offering
    offering.start(this.config.host, (error) => {
      if (error !== undefined) {
        this.env.log.log('warn', 'the relay did not start', { error: error.message })
        this.relayOffering = undefined
      }
    })
  }

  /** Vouches for a TURN server of another make on our host (turn-sponsor.ts). */
  private sponsor(): void {
    const config = this.config.turnSponsor
    if (config === undefined) return
    const sponsor = new TurnSponsor(
      this.env,
      this.directory,
      config,
      this.recordTimes(),
      this.config.unixNow,
    )
    this.turnSponsor = sponsor
    sponsor.start(this.config.host, (started) => {
      if (started.ok) return
      this.env.log.log('warn', 'the TURN sponsor did not start', { error: started.error.message })
      this.turnSponsor = undefined
    })
  }

  // --- reserving --------------------------------------------------------------------------------

  private reserve(): void {
    this.bind(
      (socket) => {
        if (this.stopped) return socket.close()
        const timing = this.config.reservationTiming ?? DEFAULT_RESERVATION_TIMING
        const random = this.env.random.fork('reservations')
        const reservations = new RelayReservations(socket, this.env.clock, random, timing)
        this.reservations = reservations
        const turnRandom = this.env.random.fork('turn-reservations')
        const turn = new TurnReservations({ clock: this.env.clock, random: turnRandom }, (use) =>
          this.bind(use, () => use(undefined)),
        )
        this.turnReservations = turn
        reservations.onInbound((relay, from, payload) =>
          this.sessions.inbound({ relay }, from, payload, (bytes) =>
            reservations.send(relay, from, bytes),
          ),
        )
        turn.onInbound((relay, from, payload) => {
          const held = turn.reservations.find((r) => sameAddress(r.relay, relay))
          if (held === undefined) return
          const ref = { relay, turn: held.credentials }
          this.sessions.inbound(ref, from, payload, (bytes) => turn.send(relay, from, bytes))
        })
        const lost = (): void => {
          this.recordKeeper?.now()
          this.findRelays()
        }
        reservations.onLost(lost)
        turn.onLost(lost)
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

  /** Every reservation we hold, as our record names it. */
  private via(): ReachableVia[] {
    const lite = (this.reservations?.reservations ?? []).map((r) => ({
      relay: r.relay,
      mailbox: r.mailbox,
    }))
    const turn = (this.turnReservations?.reservations ?? []).map((r) => ({
      relay: r.relay,
      mailbox: r.mailbox,
      turn: r.credentials,
    }))
    return [...lite, ...turn]
  }

  private held(): number {
    return this.via().length
  }

  private reachableDraft(): RecordDraft<'reachable'> | undefined {
    const via = this.via()
    const first = via[0]
    if (first === undefined) return undefined
    return { kind: 'reachable', address: first.mailbox, fields: { via } }
  }

  /**
   * Reserves until `reservations` are held: with the configured relays first, then with
   * relays found in the DHT (longest up first); retries while short. Each is asked for its
   * record (IDENTIFY), which says its protocol (and a TURN relay's credentials); a found one
   * counts only if its record is valid for the address it was found at.
   */
  private findRelays(): void {
    const reservations = this.reservations
    if (reservations === undefined || this.stopped || this.finding) return
    const wanted = this.config.reservations ?? 2
    if (this.held() >= wanted) return
    this.finding = true
    const finished = (): void => {
      this.finding = false
      this.recordKeeper?.now()
      if (this.held() < wanted) this.retryFindLater()
    }
    const named = this.notHeld(this.config.relays ?? [])
    this.identifyAll(reservations, named, true, (relays) => {
      this.reserveWith(reservations, relays.slice(0, wanted - this.held()), () => {
        if (this.held() >= wanted) return finished()
        this.directory.offering('relay', (addresses) => {
          // each node holding the announce names the relay again: one entry per address
          const unique = new Map(addresses.map((a) => [addressKey(a), a]))
          const fresh = this.notHeld([...unique.values()]).slice(0, 8)
          this.identifyAll(reservations, fresh, false, (found) => {
            found.sort(
              (x, y) => (y.record?.fields.uptimeSec ?? 0) - (x.record?.fields.uptimeSec ?? 0),
            )
            this.reserveWith(reservations, found.slice(0, wanted - this.held()), finished)
          })
        })
      })
    })
  }

  private notHeld(relays: readonly Address[]): Address[] {
    const held = this.via()
    return relays.filter((a) => !held.some((v) => sameAddress(v.relay, a)))
  }

  private retryFindLater(): void {
    if (this.stopped || this.findTimer !== undefined) return
    const every = seconds(this.config.findRelaysEverySec ?? 30)
    this.findTimer = this.env.clock.setTimer(after(this.env.clock.now(), every), () => {
      this.findTimer = undefined
      this.findRelays()
    })
  }

  /**
   * IDENTIFY each address: a relay with a valid record for that address is kept with it. A
   * `trusted` (configured) relay without one is kept too, as relay-lite. A TURN record may name
   * another port of the host that answered (a peer vouching for the coturn beside it,
   * turn-sponsor.ts): the relay kept is the record's address. Never another host, so a record
   * cannot send anyone's Allocate to a third party.
   */
  private identifyAll(
    reservations: RelayReservations,
    addresses: readonly Address[],
    trusted: boolean,
    done: (relays: { address: Address; record?: ServiceRecord<'relay'> }[]) => void,
  ): void {
    const relays: { address: Address; record?: ServiceRecord<'relay'> }[] = []
    let left = addresses.length
    if (left === 0) return done(relays)
    for (const address of addresses) {
      reservations.identify(address, (bytes) => {
        const signed = bytes === undefined ? undefined : decodeSignedRecord(bytes)
        const record =
          signed?.ok === true ? this.directory.verify('relay', signed.value) : undefined
        if (record?.ok === true && sameAddress(record.value.address, address)) {
          relays.push({ address, record: record.value })
        } else if (record?.ok === true && isVouchedTurn(record.value, address)) {
          relays.push({ address: record.value.address, record: record.value })
        } else if (trusted) relays.push({ address })
        if (--left === 0) done(relays)
      })
    }
  }

  private reserveWith(
    reservations: RelayReservations,
    relays: readonly { address: Address; record?: ServiceRecord<'relay'> }[],
    done: () => void,
  ): void {
    let left = relays.length
    if (left === 0) return done()
    const one = (): void => {
      if (--left === 0) done()
    }
    for (const { address, record } of relays) {
      const credentials = record?.fields.credentials
      if (record?.fields.protocol === 'turn' && credentials !== undefined) {
        this.turnReservations?.reserve(address, credentials, one)
      } else reservations.reserve(address, one)
    }
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

import { addressKey, type Address } from '../core/address.js'
import type { Env } from '../core/env.js'
import { seconds, type Instant } from '../core/time.js'
import { startRelayServer, type RunningRelay } from '../drivers/holepunch/relay-server.js'
import { startTurnServer } from '../drivers/nat/turn-server.js'
import { PeerPolicy, turnServerConfig } from '../protocols/turn/index.js'
import type { RelayOffer } from './reachability-types.js'
import type { ServiceDirectory } from './service-directory.js'
import { encodeSignedRecord, type RelayFields } from './service-record.js'
import { mintTurnCredentials, turnCredentialKey } from './turn-credentials.js'

/**
 * The supernode side: a reachable peer runs a relay (relay-lite, or TURN with time-limited
 * credentials), answers IDENTIFY on its port with its signed `relay` record, and once it has
 * been up `minUptimeSec` announces the service in the DHT (announce_peer under the kind's
 * info-hash with the control port, the record as a BEP 44 item), publishing again every
 * `refreshSec` with its uptime (and, for TURN, a fresh credential).
 */
interface RunningService {
  readonly control: Address
  readonly allocations: () => number
  readonly reservations: () => number
  readonly knocks: () => number
  setIdentity(record: Uint8Array): void
  close(): void
}

/** TURN credentials in a record stay valid this long (the TURN REST API's usual day). */
export const TURN_CREDENTIAL_TTL_SEC = 24 * 3600
const TURN_REALM_DEFAULT = 'plexus'

export class RelayOffering {
  private running: RunningService | undefined
  private keeper: { stop(): void } | undefined
  private advertiseTimer: ReturnType<Env['clock']['setTimer']> | undefined
  private startedAt: Instant | undefined
  private advertised = false
  private stopped = false
  /** TURN: the secret the credentials are minted from (a new one each run). */
  private readonly secret: Uint8Array

  constructor(
    private readonly env: Env,
    private readonly directory: ServiceDirectory,
    private readonly offer: RelayOffer,
    private readonly records: { readonly lifetimeSec: number; readonly refreshSec: number },
    private readonly unixNow: () => number,
    /**
     * Node: setImmediate. The relay sends after each pass of reads instead of per datagram,
     * as `plexus nat relay` does (turn-server.ts `defer`); absent, each datagram at once.
     */
    private readonly defer?: (fn: () => void) => void,
  ) {
    this.secret = env.random.bytes(32)
  }

  get protocol(): RelayFields['protocol'] {
    return this.offer.protocol ?? 'relay-lite'
  }

  start(host: string, done: (error: Error | undefined) => void): void {
    const started = (service: RunningService | Error): void => {
      if (service instanceof Error) return done(service)
      if (this.stopped) {
        service.close()
        return done(undefined)
      }
      this.running = service
      this.startedAt = this.env.clock.now()
      service.setIdentity(encodeSignedRecord(this.directory.sign(this.draft(service), 600)))
      const wait = seconds(this.offer.minUptimeSec ?? 0)
      this.advertiseTimer = this.env.clock.setTimer((this.startedAt + wait) as Instant, () =>
        this.advertise(service),
      )
      done(undefined)
    }
    const publicHost = this.offer.publicHost ?? host
    if (this.protocol === 'turn') this.startTurn(host, publicHost, started)
    else this.startLite(publicHost, started)
  }

  get control(): Address | undefined {
    return this.running?.control
  }

  status():
    | {
        protocol: RelayFields['protocol']
        control: string
        allocations: number
        reservations: number
        knocks: number
        advertised: boolean
      }
    | undefined {
    const running = this.running
    if (running === undefined) return undefined
    return {
      protocol: this.protocol,
      control: addressKey(running.control),
      allocations: running.allocations(),
      reservations: running.reservations(),
      knocks: running.knocks(),
      advertised: this.advertised,
    }
  }

  stop(): void {
    this.stopped = true
    if (this.advertiseTimer !== undefined) this.env.clock.clearTimer(this.advertiseTimer)
    this.keeper?.stop()
    this.running?.close()
    this.running = undefined
  }

  private startLite(publicHost: string, started: (service: RunningService | Error) => void): void {
    const options = {
      publicHost,
      controlPort: this.offer.port,
      portFirst: this.offer.ports.first,
      portCount: this.offer.ports.count,
      allocationsPerIpMax: this.offer.allocationsPerIpMax ?? 8,
      allocationLifetime: seconds(this.offer.lifetimeSec ?? 600),
    }
    const ready = (relay: RunningRelay | Error): void => {
      if (relay instanceof Error) return started(relay)
      started({
        control: relay.control,
        allocations: () => relay.server.allocationCount,
        reservations: () => relay.server.reservationCount,
        knocks: () => relay.server.stats.knocks,
        setIdentity: (record) => relay.server.setIdentity(record),
        close: () => relay.close(),
      })
    }
    startRelayServer(this.env.net, this.env.clock, options, ready, this.defer)
  }

  private startTurn(
    host: string,
    publicHost: string,
    started: (service: RunningService | Error) => void,
  ): void {
    const realm = this.offer.realm ?? TURN_REALM_DEFAULT
    const allocationsMax = this.offer.ports.count
    const config = turnServerConfig({
      realm,
      relayHost: host,
      keyOf: (username) => turnCredentialKey(this.secret, realm, username, this.unixNow()),
      peerPolicy:
        this.offer.allowPeers === undefined
          ? PeerPolicy.publicInternet()
          : new PeerPolicy(this.offer.allowPeers),
      software: 'plexus',
      allocationsMax,
      // one published credential is shared by every user: the per-IP limit is the fair one
      allocationsPerUser: allocationsMax,
      allocationsPerIp: this.offer.allocationsPerIpMax ?? 8,
      defaultLifetime: seconds(this.offer.lifetimeSec ?? 600),
    })
    const listen = { host, port: this.offer.port }
    // the Env may be a class with getters (peer-metrics.ts): its ports are named, not spread
    const { net, clock, random, metrics } = this.env
    const world =
      this.defer === undefined ? this.env : { net, clock, random, metrics, defer: this.defer }
    startTurnServer(
      world,
      listen,
      config,
      () => undefined,
      (result) => {
        if (!result.ok) return started(result.error)
        const turn = result.value
        started({
          control: { host: publicHost, port: turn.local.port },
          allocations: () => turn.core.allocationCount,
          reservations: () => turn.core.allocationCount,
          knocks: () => 0,
          setIdentity: (record) => turn.setIdentity(record),
          close: () => turn.close(),
        })
      },
    )
  }

  private draft(running: RunningService): {
    kind: 'relay'
    address: Address
    fields: RelayFields
  } {
    const uptimeMs = this.env.clock.now() - (this.startedAt ?? this.env.clock.now())
    const limits = {
      allocationsMax: this.offer.ports.count,
      allocationsPerIpMax: this.offer.allocationsPerIpMax ?? 8,
      lifetimeSec: this.offer.lifetimeSec ?? 600,
      uptimeSec: Math.floor(uptimeMs / 1000),
    }
    const realm = this.offer.realm ?? TURN_REALM_DEFAULT
    const fields: RelayFields =
      this.protocol === 'turn'
        ? {
            protocol: 'turn',
            ...limits,
            credentials: mintTurnCredentials(
              this.secret,
              realm,
              this.unixNow() + TURN_CREDENTIAL_TTL_SEC,
            ),
          }
        : { protocol: 'relay-lite', ...limits }
    return { kind: 'relay', address: running.control, fields }
  }

  private advertise(running: RunningService): void {
    this.advertiseTimer = undefined
    if (this.stopped) return
    this.keeper = this.directory.keep(
      () => (this.stopped ? undefined : this.draft(running)),
      { ...this.records, announcePort: running.control.port },
      (result) => {
        if (result === undefined) return
        this.advertised = result.stored > 0 || result.announced > 0
        running.setIdentity(encodeSignedRecord(result.signed))
      },
    )
  }
}

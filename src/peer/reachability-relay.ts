import { addressKey, type Address } from '../core/address.js'
import type { Env } from '../core/env.js'
import { seconds, type Instant } from '../core/time.js'
import { startRelayServer, type RunningRelay } from '../drivers/holepunch/relay-server.js'
import type { RelayOffer } from './reachability-types.js'
import type { ServiceDirectory } from './service-directory.js'
import { encodeSignedRecord } from './service-record.js'

/**
 * The supernode side: a reachable peer runs the relay-lite server, answers IDENTIFY with its
 * signed `relay` record, and once it has been up `minUptimeSec` announces the service in the
 * DHT (announce_peer under the kind's info-hash with the control port, the record as a BEP 44
 * item), publishing again every `refreshSec` with its uptime.
 */
export class RelayOffering {
  private running: RunningRelay | undefined
  private keeper: { stop(): void } | undefined
  private advertiseTimer: ReturnType<Env['clock']['setTimer']> | undefined
  private startedAt: Instant | undefined
  private advertised = false
  private stopped = false

  constructor(
    private readonly env: Env,
    private readonly directory: ServiceDirectory,
    private readonly offer: RelayOffer,
    private readonly records: { readonly lifetimeSec: number; readonly refreshSec: number },
  ) {}

  start(host: string, done: (error: Error | undefined) => void): void {
    const publicHost = this.offer.publicHost ?? host
    startRelayServer(
      this.env.net,
      this.env.clock,
      {
        publicHost,
        controlPort: this.offer.port,
        portFirst: this.offer.ports.first,
        portCount: this.offer.ports.count,
        allocationsPerIpMax: this.offer.allocationsPerIpMax ?? 8,
        allocationLifetime: seconds(this.offer.lifetimeSec ?? 600),
      },
      (relay) => {
        if (relay instanceof Error) return done(relay)
        if (this.stopped) {
          relay.close()
          return done(undefined)
        }
        this.running = relay
        this.startedAt = this.env.clock.now()
        relay.server.setIdentity(encodeSignedRecord(this.directory.sign(this.draft(relay), 600)))
        const wait = seconds(this.offer.minUptimeSec ?? 0)
        this.advertiseTimer = this.env.clock.setTimer((this.startedAt + wait) as Instant, () =>
          this.advertise(relay),
        )
        done(undefined)
      },
    )
  }

  get control(): Address | undefined {
    return this.running?.control
  }

  status():
    | {
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
      control: addressKey(running.control),
      allocations: running.server.allocationCount,
      reservations: running.server.reservationCount,
      knocks: running.server.stats.knocks,
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

  private draft(relay: RunningRelay): {
    kind: 'relay'
    address: Address
    fields: {
      protocol: 'relay-lite'
      allocationsMax: number
      allocationsPerIpMax: number
      lifetimeSec: number
      uptimeSec: number
    }
  } {
    const uptimeMs = this.env.clock.now() - (this.startedAt ?? this.env.clock.now())
    return {
      kind: 'relay',
      address: relay.control,
      fields: {
        protocol: 'relay-lite',
        allocationsMax: this.offer.ports.count,
        allocationsPerIpMax: this.offer.allocationsPerIpMax ?? 8,
        lifetimeSec: this.offer.lifetimeSec ?? 600,
        uptimeSec: Math.floor(uptimeMs / 1000),
      },
    }
  }

  private advertise(relay: RunningRelay): void {
    this.advertiseTimer = undefined
    if (this.stopped) return
    this.keeper = this.directory.keep(
      () => (this.stopped ? undefined : this.draft(relay)),
      { ...this.records, announcePort: relay.control.port },
      (result) => {
        if (result === undefined) return
        this.advertised = result.stored > 0 || result.announced > 0
        relay.server.setIdentity(encodeSignedRecord(result.signed))
      },
    )
  }
}

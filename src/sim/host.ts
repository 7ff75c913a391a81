import type {
  Clock,
  Disk,
  Env,
  Hashing,
  KeyAgreement,
  HttpClient,
  Resolver,
  Signing,
  TimerHandle,
} from '../core/env.js'
import { assert } from '../core/errors.js'
import type { Random } from '../core/random.js'
import type { Instant } from '../core/time.js'
import type { SimLogSink } from './log.js'
import { SimLog } from './log.js'
import { SimMetrics } from './metrics.js'
import type { NatBox } from './nat.js'
import type { Life, NetHost } from './net-host.js'
import type { LinkRatios, SimNetwork } from './network.js'
import type { Scheduler } from './scheduler.js'
import { SimHttpClient } from './http/client.js'
import { SimResolver, type SimNames } from './names.js'
import { SimNet } from './sim-net.js'
import type { SimUtpFactory, SimUtpTransport } from './utp-port.js'
import type { StreamEnd } from './stream-end.js'

/**
 * A simulated host: an address, a disk that survives restarts, a metrics registry, and one
 * `Env` per life. A program is installed with `start`; it gets the env and may return a handle
 * whose `stop` runs on graceful shutdown.
 *
 * - `crash()`: the life ends with no goodbye. Its timers never fire, its sockets vanish, its
 *   streams go silent (peers find out only when they send: see stream-end.ts).
 * - `stop()`: graceful. The program's `stop` runs, then every stream flushes and sends FIN,
 *   sockets close and the life ends.
 * - `restart(program?)`: a new life with the same address, disk and metrics, and a fresh env
 *   (the old one stays inert); runs `program`, or the last one started.
 */

export interface ProgramHandle {
  /** Called on graceful `stop()` (never on crash), while the host can still send. */
  stop?(): void
}

export type SimProgram = (env: Env, host: SimHost) => ProgramHandle | void

export type HostState = 'up' | 'crashed' | 'stopped'

export interface HostTraffic {
  readonly datagramBytesSent: number
  readonly datagramBytesReceived: number
  readonly streamBytesSent: number
  readonly streamBytesReceived: number
}

/** What a host needs from its world. */
export interface HostServices {
  readonly scheduler: Scheduler
  readonly network: SimNetwork
  readonly logSink: SimLogSink
  readonly hashing: Hashing
  readonly signing: Signing
  readonly keyAgreement: KeyAgreement
  /** What the hosts' resolvers answer. */
  readonly names: SimNames
  /** The world's root stream: a host's env gets `fork('host:<address>')`. */
  readonly root: Random
  readonly makeDisk: (options: { defer: (fn: () => void) => void }) => Disk
  /** Builds a life's uTP transport (see utp-port.ts); absent in a world without uTP. */
  readonly utp?: SimUtpFactory
}

/** `Clock` for one life: its timers are skipped once the life is over. */
class LifeClock implements Clock {
  constructor(
    private readonly scheduler: Scheduler,
    private readonly life: Life,
  ) {}

  now(): Instant {
    return this.scheduler.now()
  }

  setTimer(at: Instant, fire: () => void): TimerHandle {
    return this.scheduler.setTimer(at, fire, this.life)
  }

  clearTimer(handle: TimerHandle): void {
    this.scheduler.clearTimer(handle)
  }
}

/**
 * One life's Env. The random stream, log, disk, resolver and HTTP client are made on first
 * use: a world of 100,000 idle hosts then costs a little over a kilobyte per host.
 */
class SimEnv implements Env {
  readonly clock: Clock
  readonly net: SimNet
  private randomStream: Random | undefined = undefined
  private logger: SimLog | undefined = undefined
  private resolverInstance: Resolver | undefined = undefined
  private httpClient: HttpClient | undefined = undefined

  constructor(
    private readonly host: SimHost,
    private readonly services: HostServices,
    private readonly life: Life,
    readonly metrics: SimMetrics,
    readonly hashing: Hashing,
    readonly signing: Signing,
    readonly keyAgreement: KeyAgreement,
  ) {
    this.clock = new LifeClock(services.scheduler, life)
    const utp = services.utp
    let transport: SimUtpTransport | undefined
    this.net = new SimNet(services.network, host.net, life, () => {
      if (utp === undefined) return undefined
      const net = this.net
      return (transport ??= utp(
        (local, ready) => net.bindDatagram(local, ready),
        this.clock,
        this.random.fork('utp'),
      ))
    })
  }

  get random(): Random {
    if (this.randomStream !== undefined) return this.randomStream
    const first = this.services.root.fork(`host:${this.host.address}`)
    const number = this.life.number
    this.randomStream = number === 1 ? first : first.fork(`life:${number}`)
    return this.randomStream
  }

  get disk(): Disk {
    return this.host.disk
  }

  get log(): SimLog {
    return (this.logger ??= new SimLog(this.services.logSink, this.clock, this.host.address))
  }

  get resolver(): Resolver {
    const { names, scheduler } = this.services
    const life = this.life
    return (this.resolverInstance ??= new SimResolver(names, (fn) => scheduler.defer(fn, life)))
  }

  /** HTTP over this life's own streams (see http/client.ts). */
  get http(): HttpClient {
    return (this.httpClient ??= new SimHttpClient(this.net, this.resolver, this.clock))
  }
}

export class SimHost {
  readonly metrics = new SimMetrics()
  private diskInstance: Disk | undefined = undefined
  private currentEnv: Env | undefined = undefined
  private status: HostState = 'up'
  private program: SimProgram | undefined = undefined
  private handle: ProgramHandle | undefined = undefined

  constructor(
    private readonly services: HostServices,
    /** The network's record of this host. */
    readonly net: NetHost,
  ) {}

  /** The host's disk, the same instance in every life (made on first use). */
  get disk(): Disk {
    if (this.diskInstance !== undefined) return this.diskInstance
    const { scheduler, makeDisk } = this.services
    const net = this.net
    // Disk completions belong to the life that asked: a crash drops them with the rest.
    this.diskInstance = makeDisk({ defer: (fn) => scheduler.defer(fn, net.life) })
    return this.diskInstance
  }

  get index(): number {
    return this.net.index
  }

  /** The host's own address (private when it sits behind a NAT). */
  get address(): string {
    return this.net.address
  }

  /** Where others reach it: its NAT's public address, or its own. */
  get publicAddress(): string {
    return this.net.publicHost
  }

  get nat(): NatBox | undefined {
    return this.net.nat
  }

  get state(): HostState {
    return this.status
  }

  get isUp(): boolean {
    return this.status === 'up'
  }

  /** 1 for the first life, then one more per restart. */
  get lifeNumber(): number {
    return this.net.life.number
  }

  /** The current life's Env (after a crash, the last life's, inert). */
  get env(): Env {
    return (this.currentEnv ??= this.makeEnv())
  }

  /** Installs a program on the current life. */
  start(program: SimProgram): void {
    assert(this.status === 'up', `start on host ${this.address}, which is ${this.status}`)
    this.program = program
    this.handle = program(this.env, this) ?? undefined
  }

  crash(): void {
    if (this.status !== 'up') return
    this.status = 'crashed'
    this.endLife((end) => end.die())
  }

  stop(): void {
    if (this.status !== 'up') return
    const handle = this.handle
    this.handle = undefined
    handle?.stop?.()
    this.status = 'stopped'
    this.endLife((end) => end.shutDown())
  }

  /** Starts a new life on a crashed or stopped host. */
  restart(program?: SimProgram): void {
    assert(this.status !== 'up', `restart on host ${this.address}, which is up`)
    this.net.beginLife()
    this.status = 'up'
    this.currentEnv = this.makeEnv()
    const next = program ?? this.program
    if (next !== undefined) this.start(next)
  }

  /** Overrides the world's loss and duplication ratios on every link touching this host. */
  setRatios(ratios: LinkRatios): void {
    this.net.lossRatio = ratios.lossRatio
    this.net.duplicateRatio = ratios.duplicateRatio
  }

  traffic(): HostTraffic {
    const net = this.net
    return {
      datagramBytesSent: net.datagramBytesSent,
      datagramBytesReceived: net.datagramBytesReceived,
      streamBytesSent: net.streamBytesSent,
      streamBytesReceived: net.streamBytesReceived,
    }
  }

  private endLife(closeStream: (end: StreamEnd) => void): void {
    const net = this.net
    this.handle = undefined
    for (const socket of net.datagramSockets) socket.closed = true
    net.datagramSockets.length = 0
    for (const listener of net.listeners) listener.closed = true
    net.listeners.length = 0
    if (net.streams !== undefined) for (const end of [...net.streams]) closeStream(end)
    net.streams = undefined
    net.streamPorts = undefined
    net.endLife()
  }

  private makeEnv(): Env {
    const { hashing, signing, keyAgreement } = this.services
    return new SimEnv(
      this,
      this.services,
      this.net.life,
      this.metrics,
      hashing,
      signing,
      keyAgreement,
    )
  }
}

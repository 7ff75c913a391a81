/**
 * One structured-overlay node (Chord, Pastry or CAN) on a real (or simulated) datagram
 * socket: the overlay's sans-IO core bound by the shared `attach`, with promise-shaped
 * operations for the CLI and loopback tests. A `member` joins the overlay (or starts it) and
 * serves; a `client` never joins and starts every operation at its gateway, so a one-shot
 * command neither takes a key range nor leaves a dead entry behind.
 *
 * Promises are for real-world callers only: the simulator drives the cores directly.
 */
import type { Address } from '../../core/address.js'
import type { DatagramSocket, Env, TimerHandle } from '../../core/env.js'
import { after, ms, seconds } from '../../core/time.js'
import type { ChordConfig } from '../../protocols/chord/config.js'
import type { CanConfig } from '../../protocols/can/config.js'
import type { PastryConfig } from '../../protocols/pastry/node.js'
import type { OverlayEvent } from '../../protocols/overlay/dht.js'
import type { Attached } from '../attach.js'
import { bindDualStack, type DualStackSocket } from '../dual-stack-socket.js'
import { bindDatagram, promised } from '../promises.js'
import { FamilyGateway } from './family-gateway.js'
import { canMember } from './can.js'
import { chordMember } from './chord.js'
import type { MemberEvent, MemberInput, OverlayMember, OverlayName } from './member.js'
import { pastryMember } from './pastry.js'
import { readOverlayState, writeOverlayState } from './state-file.js'

export type OverlayDone = Extract<OverlayEvent, { type: 'op_done' }>

/** Timing and size knobs per overlay (tests shorten the periods). */
export interface OverlayTuning {
  readonly chord?: Partial<ChordConfig>
  readonly pastry?: Partial<PastryConfig>
  readonly can?: Partial<CanConfig>
}

export interface OverlayServiceOptions {
  readonly env: Env
  readonly overlay: OverlayName
  /** Where the UDP socket binds; port 0 picks one. */
  readonly bind: Address
  /** The host others reach this node at (default: the bound host). IPv4 or IPv6. */
  readonly advertiseHost?: string
  /**
   * Also an IPv6 address to bind (with `bind` IPv4): a dual-stack node, reachable from both
   * families, bridging them for the overlay (family-gateway.ts). Port 0: `bind`'s port.
   */
  readonly bind6?: Address
  /** The IPv6 host others reach a dual-stack node at (default: `bind6`'s host). */
  readonly advertiseHost6?: string
  /** `member` joins through `bootstrap` (or starts the overlay without); `client` never joins. */
  readonly role: 'member' | 'client'
  readonly bootstrap?: readonly Address[]
  readonly tuning?: OverlayTuning
  /** Id and known nodes, loaded at start and written while running and at close. */
  readonly statePath?: string
  /** Events no operation asked for (joins, keys moved, refused datagrams). */
  readonly onEvent?: (event: MemberEvent) => void
}

const SAVE_INTERVAL = seconds(300)
/** How often a joining member checks whether its join has completed. */
const JOIN_POLL = ms(50)
/** How long a leaving member keeps its socket open for its last datagrams to go out. */
const LEAVE_DRAIN = ms(20)

export function createMember(
  overlay: OverlayName,
  input: MemberInput,
  tuning: OverlayTuning = {},
): OverlayMember {
  if (overlay === 'chord') return chordMember(input, tuning.chord)
  if (overlay === 'pastry') return pastryMember(input, tuning.pastry)
  return canMember(input, tuning.can)
}

export class OverlayService {
  private readonly pending = new Map<number, (done: OverlayDone) => void>()
  /** Resolves once the member has joined (at once for the first node and for a client). */
  joined: Promise<void> = Promise.resolve()
  private timers = new Set<TimerHandle>()
  private closed = false

  private constructor(
    private readonly options: OverlayServiceOptions,
    readonly member: OverlayMember,
    private readonly socket: DatagramSocket,
    private attached: Attached | undefined,
    private readonly gateway: FamilyGateway | undefined,
    /** A dual-stack node's IPv6 address (as advertised). */
    readonly address6: Address | undefined,
  ) {}

  static async start(options: OverlayServiceOptions): Promise<OverlayService> {
    const { env } = options
    const saved = options.statePath === undefined ? undefined : await loadState(options)
    const dual =
      options.bind6 === undefined
        ? undefined
        : await promised<DualStackSocket>((done) =>
            bindDualStack(env.net, options.bind, options.bind6 as Address, done),
          )
    const socket = dual?.v4 ?? (await bindDatagram(env.net, options.bind))
    const self = { host: options.advertiseHost ?? socket.local.host, port: socket.local.port }
    const member = createMember(
      options.overlay,
      {
        now: env.clock.now(),
        random: env.random,
        hashing: env.hashing,
        self,
        ...(saved === undefined ? {} : { id: saved.id }),
      },
      options.tuning,
    )
    const address6 =
      dual === undefined
        ? undefined
        : { host: options.advertiseHost6 ?? dual.local6.host, port: dual.local6.port }
    const gateway =
      dual === undefined || address6 === undefined
        ? undefined
        : new FamilyGateway(
            env.net,
            member.codec,
            { v4: self.host, v6: address6.host },
            self,
            dual.v6,
            env.log,
          )
    const service = new OverlayService(options, member, socket, undefined, gateway, address6)
    service.attached = member.attach(env.clock, socket, env.metrics, (e) => service.onEvent(e))
    const given = options.bootstrap?.length ? options.bootstrap : (saved?.nodes ?? [])
    // The core of a dual-stack node is an IPv4 member: an IPv6 node is reached through its alias.
    const bootstrap =
      gateway === undefined ? given : await Promise.all(given.map((a) => gateway.forCore(a)))
    if (options.role === 'client') {
      const first = bootstrap[0]
      if (first === undefined) {
        socket.close()
        gateway?.close()
        throw new Error('a client needs a bootstrap node to send its operations through')
      }
      member.useGateway(first)
    } else if (bootstrap.length === 0) {
      member.create()
    } else {
      member.join(env.clock.now(), bootstrap)
      service.joined = service.untilJoined()
    }
    service.attached.flush()
    service.scheduleSave()
    return service
  }

  /** The bound UDP address. */
  get address(): Address {
    return this.socket.local
  }

  get id(): string {
    return this.member.dht.id
  }

  lookup(id: Uint8Array): Promise<OverlayDone> {
    return this.run((now) => this.member.dht.lookup(now, id))
  }

  /** Stores `value` under a text or byte key (mapped onto the overlay's id space). */
  put(key: Uint8Array, value: Uint8Array): Promise<OverlayDone> {
    return this.run((now) => this.member.dht.put(now, this.member.keyBytes(key), value))
  }

  get(key: Uint8Array): Promise<OverlayDone> {
    return this.run((now) => this.member.dht.get(now, this.member.keyBytes(key)))
  }

  remove(key: Uint8Array): Promise<OverlayDone> {
    return this.run((now) => this.member.dht.remove(now, this.member.keyBytes(key)))
  }

  async saveState(): Promise<void> {
    const path = this.options.statePath
    if (path === undefined || this.options.role === 'client') return
    await writeOverlayState(path, this.options.overlay, this.member.state())
  }

  /**
   * Stops the node. A member leaves gracefully (its keys go to the nodes that take over) unless
   * `crash` is set, which models a failure: the socket just closes.
   */
  async close(options: { readonly crash?: boolean } = {}): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const t of this.timers) this.options.env.clock.clearTimer(t)
    this.timers.clear()
    await this.saveState().catch(() => undefined)
    if (this.options.role === 'member' && options.crash !== true) {
      const { clock } = this.options.env
      this.member.dht.leave(clock.now())
      this.attached?.flush()
      // Node's UDP send goes out a tick later (its address lookup is asynchronous, even for
      // an IP literal): closing now would drop the keys handed over and the leave notices.
      await new Promise<void>((resolve) => clock.setTimer(after(clock.now(), LEAVE_DRAIN), resolve))
    }
    this.attached?.detach()
    this.socket.close()
    this.gateway?.close()
    for (const resolve of this.pending.values()) resolve(abandoned())
    this.pending.clear()
  }

  private run(start: (now: ReturnType<Env['clock']['now']>) => number): Promise<OverlayDone> {
    if (this.closed) return Promise.reject(new Error('the overlay node is closed'))
    return new Promise((resolve) => {
      const handle = start(this.options.env.clock.now())
      this.pending.set(handle, resolve)
      this.attached?.flush()
    })
  }

  private onEvent(event: MemberEvent): void {
    if (isOpDone(event)) {
      const resolve = this.pending.get(event.handle)
      this.pending.delete(event.handle)
      if (resolve !== undefined) return resolve(event)
    }
    if (event.type === 'dropped') {
      // Bad input is refused with a log line, never a crash (issue 14).
      this.options.env.log.log('info', 'overlay datagram refused', { ...event })
    }
    this.options.onEvent?.(event)
  }

  /** Joins have no completion event in every core: the member is asked until it says so. */
  private untilJoined(): Promise<void> {
    const { clock } = this.options.env
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.closed) return resolve()
        if (this.member.joined()) return resolve()
        const timer = clock.setTimer(after(clock.now(), JOIN_POLL), () => {
          this.timers.delete(timer)
          check()
        })
        this.timers.add(timer)
      }
      check()
    })
  }

  private scheduleSave(): void {
    if (this.options.statePath === undefined || this.closed) return
    const { clock } = this.options.env
    const timer = clock.setTimer(after(clock.now(), SAVE_INTERVAL), () => {
      this.timers.delete(timer)
      void this.saveState()
        .catch(() => undefined)
        .then(() => this.scheduleSave())
    })
    this.timers.add(timer)
  }
}

function isOpDone(event: MemberEvent): event is OverlayDone {
  return event.type === 'op_done'
}

async function loadState(options: OverlayServiceOptions) {
  const path = options.statePath as string
  const read = await readOverlayState(path, options.overlay)
  if (read.kind === 'foreign') {
    throw new Error(`refusing the state file ${path}: ${read.reason}`)
  }
  return read.kind === 'state' ? read.state : undefined
}

function abandoned(): OverlayDone {
  return {
    type: 'op_done',
    handle: -1,
    kind: 'lookup',
    ok: false,
    error: 'closed',
    trace: { hops: [], messages: 0 },
  }
}

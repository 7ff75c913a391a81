/**
 * A structured overlay (Chord, Pastry or CAN, as configured) as a plug-in of a `Peer` (the
 * `PeerPlugin` contract of types.ts: name, start, stop, status): one `OverlayService` on the
 * clock, sockets and randomness of the Env it is given. `plexus overlay <kind>` and the
 * daemon's `[overlay]` section both run a node through this class only.
 */
import { addressKey, type Address } from '../core/address.js'
import type { Callback, Env } from '../core/env.js'
import { OperationalError } from '../core/errors.js'
import { err, ok } from '../core/result.js'
import type { MemberEvent, OverlayName } from '../drivers/overlay/member.js'
import {
  OverlayService,
  type OverlayDone,
  type OverlayTuning,
} from '../drivers/overlay/overlay-service.js'
import type { PeerPlugin } from './types.js'

export interface OverlayPluginConfig {
  readonly kind: OverlayName
  /** Where the UDP socket binds (port 0 picks one). */
  readonly bind: Address
  /** The address others reach this node at (default: the bound one). */
  readonly advertiseHost?: string
  /** An IPv6 address to bind as well: a dual-stack node (`bind` is then IPv4). */
  readonly bind6?: Address
  readonly advertiseHost6?: string
  /** Nodes to join through; none: the nodes in the state file, else a new overlay. */
  readonly bootstrap: readonly Address[]
  /** Id and known nodes: loaded at start, saved while running and at stop. */
  readonly statePath?: string
  readonly tuning?: OverlayTuning
  /** Events no operation asked for (joins, keys moved, refused datagrams). */
  readonly onEvent?: (event: MemberEvent) => void
}

/** What `status()` reports (the API's `GET /api/v1/overlay`). */
export interface OverlayStatus {
  readonly [key: string]: unknown
  readonly state: 'joining' | 'running' | 'stopped'
  readonly kind: OverlayName
  /** The node's overlay id (hex); empty when stopped. */
  readonly id: string
  readonly address: string
  /** A dual-stack node's IPv6 address (`[v6]:port`), where IPv6-only members reach it. */
  readonly address6?: string
  /** The nodes it routes through (Chord: predecessor, successors, fingers; CAN: zone neighbours). */
  readonly neighbours: readonly string[]
  /** Keys this node stores (Pastry counts the replicas it holds too). */
  readonly storedKeys: number
  /** The overlay's own summary: ring pointers, leaf set and table sizes, or zones. */
  readonly summary: Readonly<Record<string, number | string>>
}

export class OverlayPlugin implements PeerPlugin {
  readonly name = 'overlay'
  private service: OverlayService | undefined
  private hasJoined = false

  constructor(
    private readonly env: Env,
    readonly config: OverlayPluginConfig,
  ) {}

  start(done: Callback<void>): void {
    if (this.service !== undefined)
      return done(err(new OperationalError('exists', 'the overlay node is running')))
    const c = this.config
    OverlayService.start({
      env: this.env,
      overlay: c.kind,
      role: 'member',
      bind: c.bind,
      bootstrap: c.bootstrap,
      ...(c.advertiseHost === undefined ? {} : { advertiseHost: c.advertiseHost }),
      ...(c.bind6 === undefined ? {} : { bind6: c.bind6 }),
      ...(c.advertiseHost6 === undefined ? {} : { advertiseHost6: c.advertiseHost6 }),
      ...(c.statePath === undefined ? {} : { statePath: c.statePath }),
      ...(c.tuning === undefined ? {} : { tuning: c.tuning }),
      ...(c.onEvent === undefined ? {} : { onEvent: c.onEvent }),
    }).then(
      (service) => {
        this.service = service
        void service.joined.then(() => (this.hasJoined = true))
        done(ok(undefined))
      },
      (error: Error) => done(err(new OperationalError('io', `overlay: ${error.message}`))),
    )
  }

  /** Leaves gracefully: the node's keys go to the nodes that take over (their acks not awaited). */
  stop(done: Callback<void>): void {
    const service = this.service
    if (service === undefined) return done(ok(undefined))
    this.service = undefined
    service.close().then(
      () => done(ok(undefined)),
      (error: Error) => done(err(new OperationalError('io', error.message))),
    )
  }

  /** Resolves once the node has joined (at once for the first node of an overlay). */
  get joined(): Promise<void> {
    return this.running().joined
  }

  /** The bound UDP address. */
  get address(): Address {
    return this.running().address
  }

  /** Never throws (the peer lists every plug-in's status): stopped reports no neighbours. */
  status(): OverlayStatus {
    const service = this.service
    if (service === undefined) {
      return {
        state: 'stopped',
        kind: this.config.kind,
        id: '',
        address: '',
        neighbours: [],
        storedKeys: 0,
        summary: {},
      }
    }
    const member = service.member
    return {
      state: this.hasJoined ? 'running' : 'joining',
      kind: this.config.kind,
      id: service.id,
      address: addressKey(service.address),
      ...(service.address6 === undefined ? {} : { address6: addressKey(service.address6) }),
      neighbours: [...new Set(member.state().nodes.map(addressKey))],
      storedKeys: member.storedKeys(),
      summary: member.stats(),
    }
  }

  put(key: Uint8Array, value: Uint8Array): Promise<OverlayDone> {
    return this.running().put(key, value)
  }

  get(key: Uint8Array): Promise<OverlayDone> {
    return this.running().get(key)
  }

  remove(key: Uint8Array): Promise<OverlayDone> {
    return this.running().remove(key)
  }

  lookup(id: Uint8Array): Promise<OverlayDone> {
    return this.running().lookup(id)
  }

  /** The bytes of a lookup id given in hex, or undefined when it does not fit this overlay. */
  idBytes(hex: string): Uint8Array | undefined {
    return this.running().member.idBytes(hex)
  }

  private running(): OverlayService {
    if (this.service === undefined)
      throw new OperationalError('closed', 'the overlay is not running')
    return this.service
  }
}

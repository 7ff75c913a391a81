import type { Address } from '../../core/address.js'
import type { Output } from '../../core/core.js'
import type { Hashing } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import { toHex } from '../../core/bytes.js'
import { RequestTable, type PendingRequest } from '../overlay/request-table.js'
import type { Instant } from '../../core/time.js'
import type { OverlayEvent } from '../overlay/dht.js'
import { CAN_LIMITS } from './codec.js'
import type { CanConfig } from './config.js'
import type { CanMessage, CanNodeInfo } from './messages.js'
import { pointOfKey } from './space.js'
import { anyAdjacent, contains, type Point, volumeOf, type ZonePath } from './zone.js'
import type {
  CanDeps,
  CanNodeOptions,
  CanStats,
  Neighbour,
  Op,
  Stored,
  Takeover,
} from './node-types.js'

/**
 * A CAN node's state and plumbing: its zones, neighbours, items and replicas, requests in
 * flight, and the output queue. The first layer of `CanNode` (state <- routing <- storage <-
 * membership <- node).
 */
export abstract class CanNodeState {
  readonly id: string
  protected zonesOwned: ZonePath[] = []
  protected readonly neighbours = new Map<string, Neighbour>()
  protected readonly store = new Map<string, Stored>()
  protected readonly replicas = new Map<string, Stored>()
  protected readonly dead = new Map<string, Instant>()
  protected readonly takeovers = new Map<string, Takeover>()
  protected readonly ops = new Map<number, Op>()
  protected outputs: Output<CanMessage, OverlayEvent>[] = []
  protected nextHandle = 1
  protected nextHeartbeat: Instant
  protected nextRefresh: Instant
  protected giving = false
  /** A node that never joins (a one-shot client) starts every operation here. */
  protected gateway: Address | undefined
  protected stopped = false
  protected maintenanceSent = 0
  protected takeoverCount = 0
  protected joinsRefused = 0
  protected dropped = 0
  /** Why the last join failed, for the operator (a joining node has no op_done event). */
  lastJoinError: string | undefined
  protected readonly pending: RequestTable<CanMessage>
  protected readonly config: CanConfig
  protected readonly self: Address
  protected readonly random: Random
  protected readonly hashing: Hashing
  protected readonly place: ((key: Uint8Array) => Point) | undefined

  constructor(now: Instant, deps: CanDeps, options: CanNodeOptions) {
    this.config = options.config
    this.pending = new RequestTable(this.config.requestTimeoutMs)
    this.self = options.self
    this.random = deps.random
    this.hashing = deps.hashing
    this.place = deps.place
    this.id = options.id ?? toHex(deps.random.bytes(8))
    // Spread heartbeats so that a network started at once does not beat in step.
    this.nextHeartbeat = (now + this.random.int(this.config.heartbeatMs) + 1) as Instant
    this.nextRefresh = (now + this.config.replicaRefreshMs) as Instant
  }

  get zones(): readonly ZonePath[] {
    return this.zonesOwned
  }

  get joined(): boolean {
    return this.zonesOwned.length > 0
  }

  info(): CanNodeInfo {
    return { address: this.self, id: this.id, zones: [...this.zonesOwned] }
  }

  neighbourInfos(): CanNodeInfo[] {
    return [...this.neighbours.values()].map((n) => n.info)
  }

  /** The neighbours we pass on in updates and at a leave (bounded by the codec). */
  protected heardInfos(): CanNodeInfo[] {
    return this.neighbourInfos().slice(0, CAN_LIMITS.neighbours)
  }

  owns(point: Point): boolean {
    return this.zonesOwned.some((z) => contains(z, this.config.dims, point))
  }

  holds(key: Uint8Array): Uint8Array | undefined {
    return this.store.get(toHex(key))?.value
  }

  pointOf(key: Uint8Array): Point {
    return this.place?.(key) ?? pointOfKey(this.hashing, this.config, key)
  }

  inspect(): CanStats {
    return {
      zones: [...this.zonesOwned],
      neighbours: this.neighbours.size,
      items: this.store.size,
      replicas: this.replicas.size,
      maintenanceSent: this.maintenanceSent,
      takeovers: this.takeoverCount,
      joinsRefused: this.joinsRefused,
      dropped: this.dropped,
    }
  }

  takeOutputs(): Output<CanMessage, OverlayEvent>[] {
    const out = this.outputs
    this.outputs = []
    return out
  }

  protected volumeOfZones(zones: readonly ZonePath[]): number {
    return zones.reduce((s, z) => s + volumeOf(z), 0)
  }

  protected smallestAdjacent(zone: ZonePath, all: readonly Neighbour[]): Neighbour | undefined {
    let best: Neighbour | undefined
    for (const n of all) {
      if (!anyAdjacent([zone], n.info.zones, this.config.dims)) continue
      if (
        best === undefined ||
        this.volumeOfZones(n.info.zones) < this.volumeOfZones(best.info.zones)
      ) {
        best = n
      }
    }
    return best
  }

  protected request(
    now: Instant,
    to: Address,
    build: (tx: number) => CanMessage,
    onReply: PendingRequest<CanMessage>['onReply'],
    onTimeout: PendingRequest<CanMessage>['onTimeout'],
  ): void {
    this.send(to, build(this.pending.open(now, to, onReply, onTimeout)))
  }

  protected send(to: Address, message: CanMessage): void {
    this.outputs.push({ type: 'send', to, message })
  }

  protected emit(event: OverlayEvent): void {
    this.outputs.push({ type: 'event', event })
  }
}

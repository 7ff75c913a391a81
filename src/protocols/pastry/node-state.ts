import type { Address } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import type { Output } from '../../core/core.js'
import type { Hashing } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import { RequestTable, type PendingRequest } from '../overlay/request-table.js'
import type { Instant } from '../../core/time.js'
import type { OverlayEvent } from '../overlay/dht.js'
import { idFromBytes, type PastryId } from './id.js'
import type { PastryMessage } from './messages.js'
import { PastryState } from './state.js'
import {
  DEFAULT_PASTRY_CONFIG,
  type Op,
  type PastryConfig,
  type PastryDeps,
  type PastryNodeOptions,
  type PastryStats,
  type Stored,
} from './node-types.js'

/**
 * A Pastry node's state and plumbing: its routing state, items, requests in flight and the
 * output queue. The first layer of `PastryNode` (state <- routing <- storage <- membership <-
 * node).
 */
export abstract class PastryNodeState {
  readonly id: PastryId
  readonly state: PastryState
  protected readonly pending: RequestTable<PastryMessage>
  protected readonly config: PastryConfig
  protected readonly self: Address
  protected readonly hashing: Hashing
  protected readonly random: Random
  protected readonly ops = new Map<number, Op>()
  protected readonly store = new Map<string, Stored>()
  /** Nodes with a ping in flight, so that learning a node twice probes it once. */
  protected readonly probing = new Set<PastryId>()
  /**
   * Nodes we found dead, and when: others' leaf sets may still name them for a while, and
   * second-hand news must not bring them back (they return by speaking to us themselves).
   */
  protected readonly failed = new Map<PastryId, Instant>()
  /**
   * When each node last pinged us. A leaf that pings us every period need not be pinged back:
   * its pings show it alive, and if they stop, our next heartbeat pings it (a failed leaf is
   * found within two periods instead of one, for half the heartbeat traffic).
   */
  protected readonly pingedBy = new Map<PastryId, Instant>()
  protected outputs: Output<PastryMessage, OverlayEvent>[] = []
  protected nextHandle = 1
  protected nextHeartbeat: Instant
  protected isJoined = false
  /** A node that never joins (a one-shot client) routes every operation through this one. */
  protected gateway: Address | undefined
  protected stopped = false
  protected maintenanceSent = 0
  protected repairs = 0
  protected dropped = 0

  constructor(now: Instant, deps: PastryDeps, options: PastryNodeOptions) {
    this.config = options.config ?? DEFAULT_PASTRY_CONFIG
    this.pending = new RequestTable(this.config.requestTimeoutMs)
    this.self = options.self
    this.hashing = deps.hashing
    this.random = deps.random
    this.id = options.id ?? idFromBytes(deps.random.bytes(16))
    this.state = new PastryState(
      { id: this.id, address: this.self },
      this.config.leafSize,
      this.config.nearSize,
    )
    this.nextHeartbeat = (now + 1 + this.random.int(this.config.heartbeatMs)) as Instant
  }

  get joined(): boolean {
    return this.isJoined
  }

  keyId(key: Uint8Array): PastryId {
    return idFromBytes(this.hashing.sha256([key]))
  }

  holds(key: Uint8Array): Uint8Array | undefined {
    return this.store.get(toHex(key))?.value
  }

  inspect(): PastryStats {
    return {
      known: this.state.size(),
      leaves: this.state.leaves.length,
      tableEntries: this.state.tableEntries(),
      near: this.state.neighbourhood.length,
      items: this.store.size,
      maintenanceSent: this.maintenanceSent,
      repairs: this.repairs,
      dropped: this.dropped,
    }
  }

  takeOutputs(): Output<PastryMessage, OverlayEvent>[] {
    const out = this.outputs
    this.outputs = []
    return out
  }

  protected request(
    now: Instant,
    to: Address,
    build: (tx: number) => PastryMessage,
    onReply: PendingRequest<PastryMessage>['onReply'],
    onTimeout: PendingRequest<PastryMessage>['onTimeout'],
  ): void {
    this.send(to, build(this.pending.open(now, to, onReply, onTimeout)))
  }

  protected send(to: Address, message: PastryMessage): void {
    this.outputs.push({ type: 'send', to, message })
  }

  protected emit(event: OverlayEvent): void {
    this.outputs.push({ type: 'event', event })
  }
}

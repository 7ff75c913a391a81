/**
 * The node's running commands: each an `Operation` (an iterative lookup, then for announce and
 * put a store phase). On a dual-stack node a command runs one operation per family, sharing
 * its handle (BEP 32: each family's DHT is looked up, announced to and stored on over its own
 * table), and ends with one merged `done`. What to send is decided here; the node sends it.
 */
import type { Address } from '../../core/address.js'
import type { Id160 } from '../../core/id.js'
import type { Instant } from '../../core/time.js'
import type { DhtConfig } from './config.js'
import type { Ed25519 } from './ed25519.js'
import type { FamilyTables } from './family-tables.js'
import { LookupState } from './lookup.js'
import type { KrpcQuery } from './messages.js'
import {
  newOperation,
  type DhtEvent,
  type Operation,
  type OperationExtra as Extra,
  type OperationKind,
} from './operation.js'
import { mergeDone, siblingsBusy } from './operation-group.js'
import { doneEvent, lookupQueryFor, storeQueryFor } from './operation-messages.js'
import type { Requests, Role } from './requests.js'

/** What operations ask of their node. */
export interface OperationActions {
  /** `toId`: the id we know the node at `to` by, if any. */
  send(
    now: Instant,
    to: Address,
    query: KrpcQuery,
    role: Role,
    op: Operation | undefined,
    toId?: Id160,
  ): void
  emit(event: DhtEvent): void
  /** An operation ended (refresh or not): upkeep may need to know. */
  finished(op: Operation): void
}

export class NodeOperations {
  /** Running operations; the parts of one dual-stack command share its handle. */
  private readonly running = new Set<Operation>()
  private nextHandle = 1
  /** Commands started (a dual-stack command counts once). */
  started = 0

  constructor(
    private readonly config: DhtConfig,
    private readonly requests: Requests,
    private readonly ed25519: Ed25519 | undefined,
    private readonly actions: OperationActions,
    /** Our tables and id; replaced when BEP 42 gives us a new id (`retarget`). */
    private tables: FamilyTables,
    private ownId: Id160,
  ) {}

  /** BEP 42 gave us a new id and tables to go with it. */
  retarget(tables: FamilyTables, ownId: Id160): void {
    this.tables = tables
    this.ownId = ownId
  }

  /** Commands running (a dual-stack command counts once). */
  get runningCommands(): number {
    return new Set([...this.running].map((op) => op.handle)).size
  }

  /** Starts a command's lookup and returns its handle. */
  startLookup(now: Instant, kind: OperationKind, target: Id160, extra: Extra): number {
    const parts = this.startParts(now, kind, target, extra)
    this.advance(now, parts[0] as Operation)
    return (parts[0] as Operation).handle
  }

  /**
   * One operation, or on a dual-stack node one per family sharing a handle; not advanced yet
   * (the caller may seed them first).
   */
  startParts(now: Instant, kind: OperationKind, target: Id160, extra: Extra): Operation[] {
    if (!this.tables.dualStack) return [this.start(now, kind, target, extra)]
    const handle = this.nextHandle++
    const parts = this.tables.families.map((family) =>
      this.start(now, kind, target, { ...extra, family }, handle),
    )
    for (const part of parts) part.group = parts
    this.started -= parts.length - 1
    return parts
  }

  /** One operation seeded from our table (the family's, when `extra.family` names one). */
  start(
    now: Instant,
    kind: OperationKind,
    target: Id160,
    extra: Extra,
    handle = this.nextHandle++,
  ): Operation {
    const k = this.config.routing.k
    const lookup = LookupState.forConfig(target, this.config, this.ownId)
    const table = extra.family === undefined ? this.tables : this.tables.table(extra.family)
    lookup.add(
      (table?.closest(now, target, k) ?? []).map((n) => n.info()),
      0,
    )
    const op = newOperation(handle, kind, target, lookup, now, extra)
    this.running.add(op)
    this.started++
    return op
  }

  /** Moves `op` on, and on a dual-stack node its siblings, which may have waited on it. */
  advance(now: Instant, op: Operation): void {
    if (op.group === undefined) return this.advanceOne(now, op)
    for (const part of op.group) this.advanceOne(now, part)
  }

  private advanceOne(now: Instant, op: Operation): void {
    if (op.phase === 'lookup') {
      const free = this.config.inflightMax - this.requests.size
      if (free > 0) {
        const query = lookupQueryFor(op)
        for (const c of op.lookup.next(free, now)) {
          this.actions.send(now, c.address, query, 'lookup', op, c.id)
        }
      }
      if (!op.lookup.done() || op.unseeded > 0 || siblingsBusy(op)) return
      if (op.lookup.inflight > 0 && op.lookup.closestResponded().length === 0) return
      this.startStore(now, op)
    }
    if (op.phase === 'store' && op.storesPending <= 0) this.finish(now, op)
  }

  private startStore(now: Instant, op: Operation): void {
    op.phase = 'store'
    const query = storeQueryFor(op, this.ed25519)
    if (query === undefined) return
    for (const c of op.lookup.closestResponded()) {
      if (c.token === undefined) continue
      op.storesPending++
      this.actions.send(
        now,
        c.address,
        { ...query, token: c.token } as KrpcQuery,
        'store',
        op,
        c.id,
      )
    }
  }

  private finish(now: Instant, op: Operation): void {
    op.phase = 'done'
    this.running.delete(op)
    this.actions.finished(op)
    if (op.kind === 'refresh') return
    if (op.group === undefined) return this.actions.emit(doneEvent(op, now))
    if (op.group.some((part) => part.phase !== 'done')) return
    this.actions.emit(
      mergeDone(
        op.group.map((part) => doneEvent(part, now)),
        now,
      ),
    )
  }
}

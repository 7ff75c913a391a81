/**
 * The Mainline DHT node: a sans-IO `DatagramCore` over KRPC messages. It answers queries
 * (server.ts), runs commands as operations (node-operations.ts: an iterative lookup, then for
 * announce and put a store phase), keeps the routing table fresh (node-maintenance.ts: bucket
 * refresh, pings of questionable nodes, housekeeping), and learns its external address from
 * the `ip` of responses (BEP 42).
 *
 * BEP 32: one routing table per address family taken part in (family-tables.ts); a
 * dual-stack node asks for both node lists while bootstrapping and for the list of the
 * queried node's family afterwards. BEP 33 scrapes ride on get_peers; BEP 51 samples are one
 * query to one node.
 *
 * Every input takes `now`; randomness comes from the injected `Random`; SHA-1 from `Hashing`;
 * ed25519 from the `Ed25519` port. Requests in flight and their adaptive timeout live in
 * requests.ts.
 */
import type { Address } from '../../core/address.js'
import type { IpFamily } from '../../core/compact-peers.js'
import type { DatagramCore, Output } from '../../core/core.js'
import type { BValue } from '../../core/codec/bencode.js'
import type { Hashing } from '../../core/env.js'
import { assert } from '../../core/errors.js'
import { equalIds, randomId, type Id160 } from '../../core/id.js'
import type { Random } from '../../core/random.js'
import type { Instant } from '../../core/time.js'
import { bep42Id } from './bep42.js'
import { DEFAULT_DHT_CONFIG, type DhtConfig } from './config.js'
import type { Ed25519 } from './ed25519.js'
import { FamilyExternalAddresses, idForExternal } from './external-address.js'
import { FamilyTables, familyOf, withWant } from './family-tables.js'
import { InfoHashSampler } from './infohash-sampler.js'
import { ItemStore, immutableTarget } from './items.js'
import type { KrpcMessage, KrpcQuery, KrpcResponseBody } from './messages.js'
import {
  peerLookupExtra,
  type DhtEvent,
  type Operation,
  type PeerLookupOptions,
} from './operation.js'
import { feedSiblings, nodesForOperation } from './operation-group.js'
import { lookupQueryFor } from './operation-messages.js'
import { settleFailure, settleResponse, type ReplyContext } from './operation-replies.js'
import { PeerStore } from './peer-store.js'
import { exportState } from './persistence.js'
import { RateLimiter } from './rate-limiter.js'
import { Requests, type Pending, type Role } from './requests.js'
import { NodeMaintenance } from './node-maintenance.js'
import { NodeOperations } from './node-operations.js'
import type { DhtDeps, DhtNodeOptions, DhtStats } from './node-types.js'
import { mutablePutPlan, type MutableItemToPut } from './put-plan.js'
import type { RoutingTable } from './routing-table.js'
import { reply, type ServerState } from './server.js'
import { listStored, type StoredListing } from './stored-listing.js'
import { TokenSecrets } from './tokens.js'

export type { PeerLookupOptions } from './operation.js'
export type { DhtDeps, DhtNodeOptions, DhtStats } from './node-types.js'

/** Distinct responders that must agree on our external IP before we believe it. */
const EXTERNAL_IP_VOTES = 2

export class DhtNode implements DatagramCore<KrpcMessage, DhtEvent> {
  private ownId: Id160
  private tables: FamilyTables
  private readonly families: readonly IpFamily[]
  private readonly config: DhtConfig
  private readonly random: Random
  private readonly hashing: Hashing
  private readonly ed25519: Ed25519 | undefined
  private readonly tokens: TokenSecrets
  private readonly peerStore: PeerStore
  private readonly itemStore: ItemStore
  private readonly sampler: InfoHashSampler
  private readonly limiter: RateLimiter
  private readonly requests: Requests
  private readonly outputs: Output<KrpcMessage, DhtEvent>[] = []
  private readonly operations: NodeOperations
  private readonly maintenance: NodeMaintenance
  /** BEP 42: our external address per family, each learned from its own family's votes. */
  private readonly externalAddresses: FamilyExternalAddresses
  private readonly replyContext: ReplyContext
  /** What the server answers from; rebuilt when our id (and so our tables) change. */
  private server: ServerState
  private readonly counters = {
    queriesReceived: 0,
    ignoredReadOnly: 0,
  }

  constructor(now: Instant, deps: DhtDeps, options: DhtNodeOptions = {}) {
    this.config = options.config ?? DEFAULT_DHT_CONFIG
    this.random = deps.random
    this.hashing = deps.hashing
    this.ed25519 = deps.ed25519
    this.externalAddresses = new FamilyExternalAddresses(EXTERNAL_IP_VOTES, options.externalAddress)
    const external = options.externalAddress?.host
    this.ownId =
      options.id ??
      (external !== undefined ? bep42Id(external, this.random) : undefined) ??
      randomId(this.random)
    this.families = options.families ?? ['ipv4']
    this.tables = new FamilyTables(this.ownId, this.config.routing, now, this.families)
    for (const node of options.nodes ?? []) this.tables.heard(now, node.id, node.address, 'learned')
    this.tokens = new TokenSecrets(this.random, this.hashing, this.config.tokenRotation, now)
    this.peerStore = new PeerStore(
      this.config.peerTtl,
      this.config.peersPerInfoHashMax,
      this.config.infoHashesMax,
      this.config.announceQuota,
    )
    this.itemStore = new ItemStore(this.config.itemTtl, this.config.itemsMax, this.config.itemQuota)
    this.sampler = new InfoHashSampler(this.config.sampleInterval, this.config.samplesMax)
    const limit = this.config.rateLimit
    this.limiter = new RateLimiter(limit.perSecond, limit.burst, limit.sourcesMax)
    this.requests = new Requests(this.config, this.random)
    this.operations = new NodeOperations(
      this.config,
      this.requests,
      this.ed25519,
      {
        send: (at, to, query, role, op, toId) => this.send(at, to, query, role, op, toId),
        emit: (event) => this.emit(event),
        finished: (op) => this.maintenance.finished(op),
      },
      this.tables,
      this.ownId,
    )
    this.maintenance = new NodeMaintenance(
      {
        config: this.config,
        random: this.random,
        peerStore: this.peerStore,
        itemStore: this.itemStore,
        tokens: this.tokens,
        limiter: this.limiter,
        requests: this.requests,
      },
      {
        send: (at, to, query, role, op, toId) => this.send(at, to, query, role, op, toId),
        startRefresh: (at, target, family) =>
          this.operations.start(at, 'refresh', target, family === undefined ? {} : { family }),
        advance: (at, op) => this.operations.advance(at, op),
      },
      this.tables,
      this.ownId,
      now,
    )
    this.server = this.serverState()
    this.replyContext = {
      hashing: this.hashing,
      ed25519: this.ed25519,
      emit: (event) => this.emit(event),
    }
  }

  get id(): Id160 {
    return this.ownId
  }

  /**
   * The routing table of our first family (IPv4 unless told otherwise), read-only by
   * convention (tests and the simulator inspect it).
   */
  get routing(): RoutingTable {
    return this.tables.table(this.families[0] as IpFamily) as RoutingTable
  }

  /** BEP 32: the routing table of `family`, when we take part in it. */
  routingFor(family: IpFamily): RoutingTable | undefined {
    return this.tables.table(family)
  }

  /** Our external address in our first family (the one our BEP 42 id follows). */
  get external(): Address | undefined {
    return this.externalAddresses.of(this.families[0] as IpFamily)
  }

  /** BEP 32 / 42: our external address in `family`, once responders agreed on it. */
  externalFor(family: IpFamily): Address | undefined {
    return this.externalAddresses.of(family)
  }

  // --- commands --------------------------------------------------------------------------------

  /**
   * Joins through `addresses` (ids unknown) and our table: a lookup of our own id. A
   * dual-stack node runs it in each family, each address seeding its own family's lookup.
   */
  bootstrap(now: Instant, addresses: readonly Address[]): number {
    const parts = this.operations.startParts(now, 'bootstrap', this.ownId, {})
    for (const to of addresses) {
      const family = familyOf(to.host)
      const op = parts.find((p) => p.family === undefined || p.family === family)
      if (op === undefined) continue // a family we have no socket for
      op.unseeded++
      this.send(now, to, lookupQueryFor(op), 'seed', op)
    }
    this.operations.advance(now, parts[0] as Operation)
    return (parts[0] as Operation).handle
  }

  /** find_node lookup for `target`; `done` carries the k closest nodes. */
  lookup(now: Instant, target: Id160): number {
    return this.operations.startLookup(now, 'find_node', target, {})
  }

  /** get_peers lookup; peers stream as `peers` events; with scrape, `done` has the estimate. */
  getPeers(now: Instant, infoHash: Id160, options: PeerLookupOptions = {}): number {
    return this.operations.startLookup(now, 'get_peers', infoHash, peerLookupExtra(options))
  }

  /**
   * get_peers, then announce_peer to the k closest nodes that gave a token; `seed` (BEP 33)
   * says we have the whole torrent.
   */
  announcePeer(
    now: Instant,
    infoHash: Id160,
    port: number,
    impliedPort = false,
    options: PeerLookupOptions & { readonly seed?: boolean } = {},
  ): number {
    assert(Number.isInteger(port) && port >= 0 && port <= 65535, `bad port ${port}`)
    return this.operations.startLookup(now, 'announce', infoHash, {
      announcePort: port,
      impliedPort,
      seed: options.seed ?? false,
      ...peerLookupExtra(options),
    })
  }

  /**
   * BEP 51: asks the node at `to` for a sample of its info-hashes (and nodes near `target`);
   * the answer is a `samples` event, then `done` (with the node in `closest` when it answered).
   */
  sampleInfohashes(now: Instant, to: Address, target: Id160): number {
    const op = this.operations.start(now, 'sample_infohashes', target, {})
    op.phase = 'store'
    op.storesPending = 1
    this.send(now, to, lookupQueryFor(op), 'sample', op)
    return op.handle
  }

  /** Stores an immutable item; its target is SHA-1 of its bencoding. */
  putImmutable(now: Instant, value: BValue): number {
    const target = immutableTarget(this.hashing, value)
    return this.operations.startLookup(now, 'put_immutable', target, { put: { value } })
  }

  /**
   * Stores a mutable item signed by `seed`. Without `seq`, uses one more than the highest seq
   * the lookup sees (1 when none).
   */
  putMutable(now: Instant, item: MutableItemToPut): number {
    const ed = this.ed25519
    assert(ed !== undefined, 'putMutable needs an Ed25519 implementation')
    const { target, put, salt } = mutablePutPlan(ed, this.hashing, item)
    return this.operations.startLookup(now, 'put_mutable', target, { put, salt })
  }

  /** Looks an item up; verified items stream as `value` events (higher seq each time). */
  get(now: Instant, target: Id160, options: { salt?: Uint8Array; seq?: number } = {}): number {
    return this.operations.startLookup(now, 'get', target, options)
  }

  /** Pings one address; `done` has the node in `closest` when it answered. */
  ping(now: Instant, to: Address): number {
    const op = this.operations.start(now, 'ping', this.ownId, {})
    op.phase = 'store'
    op.storesPending = 1
    this.send(now, to, { method: 'ping' }, 'ping', op)
    return op.handle
  }

  // --- DatagramCore ----------------------------------------------------------------------------

  receive(now: Instant, from: Address, message: KrpcMessage): void {
    if (message.type === 'query') this.onQuery(now, from, message)
    else this.onReply(now, from, message)
  }

  timeout(now: Instant): void {
    const touched = new Set<Operation>()
    for (const p of this.requests.slow(now)) {
      if (p.op !== undefined && p.op.lookup.stall(p.key)) touched.add(p.op)
    }
    for (const p of this.requests.expire(now)) {
      this.tables.failed(now, p.to)
      this.maintenance.settled(p)
      if (p.op === undefined) continue
      settleFailure(p)
      touched.add(p.op)
    }
    for (const op of touched) this.operations.advance(now, op)
    this.maintenance.maintain(now)
  }

  nextTimeout(): Instant | undefined {
    return this.maintenance.nextDue(this.requests.nextDeadline(Infinity)) as Instant
  }

  takeOutputs(): Output<KrpcMessage, DhtEvent>[] {
    return this.outputs.splice(0)
  }

  /** Our id and table as bytes for `importState` (persist on shutdown, restore on start). */
  exportState(): Uint8Array {
    return exportState({ id: this.ownId, nodes: [...this.tables.allNodes()].map((n) => n.info()) })
  }

  inspect(): DhtStats {
    return {
      id: this.ownId,
      tableSize: this.tables.size,
      tableSizes: Object.fromEntries(
        this.families.map((f) => [f, this.tables.table(f)?.size ?? 0]),
      ),
      inflight: this.requests.size,
      operations: this.operations.runningCommands,
      operationsStarted: this.operations.started,
      queriesSent: this.requests.queriesSent,
      maintenanceQueriesSent: this.requests.maintenance,
      queriesReceived: this.counters.queriesReceived,
      queriesDropped: this.limiter.dropped,
      queriesIgnoredReadOnly: this.counters.ignoredReadOnly,
      responsesUnmatched: this.requests.unmatched,
      timeouts: this.requests.timeouts,
      peersStored: this.peerStore.size,
      itemsStored: this.itemStore.size,
      smoothedRttMs: this.requests.smoothedRttMs,
    }
  }

  /** What other nodes stored on us, newest first and bounded (see stored-listing.ts). */
  stored(now: Instant, max?: number): StoredListing {
    return listStored(now, this.peerStore, this.itemStore, max)
  }

  // --- queries from others ---------------------------------------------------------------------

  private onQuery(now: Instant, from: Address, message: KrpcMessage & { type: 'query' }): void {
    this.counters.queriesReceived++
    if (this.config.readOnly) {
      this.counters.ignoredReadOnly++
      return
    }
    if (!this.limiter.allow(now, from.host)) return
    // BEP 43: read-only nodes never enter routing tables.
    if (!message.readOnly) {
      this.maintenance.afterInsert(now, this.tables.heard(now, message.id, from, 'query'))
    }
    this.outputs.push({
      type: 'send',
      to: from,
      message: reply(this.server, now, from, message.t, message.query),
    })
  }

  // --- replies to our queries ------------------------------------------------------------------

  private onReply(now: Instant, from: Address, message: KrpcMessage): void {
    if (message.type === 'query') return
    const p = this.requests.match(now, from, message.t)
    if (p === undefined) return
    this.maintenance.settled(p)
    if (message.ip !== undefined) this.learnExternal(now, p.key, from, message.ip)
    if (message.type === 'error') {
      // The node is alive but refused: it stays in the table; the request counts as failed.
      if (p.op !== undefined) {
        settleFailure(p)
        this.operations.advance(now, p.op)
      }
      return
    }
    const body = message.body
    // Another id than the one we addressed answered: the node we knew there is gone.
    if (p.toId !== undefined && !equalIds(p.toId, body.id)) this.tables.forget(now, from, p.toId)
    this.maintenance.afterInsert(now, this.tables.heard(now, body.id, from, 'response'))
    this.maintenance.answered(now, p, body)
    if (p.op !== undefined) this.onResponse(now, p, p.op, body)
  }

  private onResponse(now: Instant, p: Pending, op: Operation, body: KrpcResponseBody): void {
    const nodes =
      body.nodes6 === undefined ? (body.nodes ?? []) : [...(body.nodes ?? []), ...body.nodes6]
    this.tables.learn(now, nodes)
    if (op.group !== undefined && op.phase === 'lookup') {
      feedSiblings(op, nodes, (op.lookup.depthOf(p.key) ?? 0) + 1)
    }
    settleResponse(now, p, op, body, nodesForOperation(op, nodes), this.replyContext)
    this.operations.advance(now, op)
  }

  // --- sending --------------------------------------------------------------------------------

  private send(
    now: Instant,
    to: Address,
    query: KrpcQuery,
    role: Role,
    op: Operation | undefined,
    toId?: Id160,
  ): void {
    const asked = this.tables.dualStack
      ? withWant(query, op?.family ?? familyOf(to.host), op?.kind === 'bootstrap')
      : query
    const message = this.requests.open(now, this.ownId, to, asked, role, op, toId)
    this.outputs.push({ type: 'send', to, message })
  }

  private emit(event: DhtEvent): void {
    this.outputs.push({ type: 'event', event })
  }

  // --- our id -------------------------------------------------------------------------------

  /**
   * BEP 42: once two responders agree on our external IP, adopt it (and a matching id). BEP 32
   * keeps one id for both families, so only our first family's address may change it.
   */
  private learnExternal(now: Instant, voter: string, from: Address, seen: Address): void {
    const adopted = this.externalAddresses.vote(voter, from, seen)
    if (adopted === undefined) return
    this.emit({ type: 'external_address', address: adopted })
    const id = idForExternal(adopted, this.families[0] as IpFamily, this.ownId, this.random)
    if (id === undefined) return
    this.ownId = id
    this.tables = this.tables.rebuiltFor(now, id)
    this.maintenance.retarget(this.tables, id)
    this.operations.retarget(this.tables, id)
    this.server = this.serverState()
    this.emit({ type: 'id_changed', id })
  }

  private serverState(): ServerState {
    return {
      id: this.ownId,
      config: this.config,
      tables: this.tables.byFamily,
      tokens: this.tokens,
      peers: this.peerStore,
      items: this.itemStore,
      sampler: this.sampler,
      hashing: this.hashing,
      ed25519: this.ed25519,
      random: this.random,
    }
  }
}

/**
 * The swarm core: every peer connection of ONE torrent, as a sans-IO `StreamCore`. It routes
 * driver inputs to the modules that own each concern and keeps the timers; it decides
 * nothing itself (B4, B14):
 * - `connections.ts`: dialling, accepting, handshakes, duplicates, keep-alives, timeouts;
 * - `dispatch.ts`: the switch on incoming message types;
 * - `requests.ts`: interest and request pipelines over the piece picker;
 * - `uploads.ts`: serving requests through `read_block` / `blockRead`;
 * - `verification.ts`: writes, hash results, blame and bans;
 * - `choking.ts`: the choker every 10 s; `pex.ts`: BEP 11 every 60 s;
 * - `metadata.ts`: serving the info dictionary (BEP 9 ut_metadata).
 *
 * Storage and hashing stay outside: the core emits `write_block`, `read_block` and
 * `verify_piece` events and takes the answers as inputs (`blockWritten`, `blockRead`,
 * `pieceVerified`). Timers are six named deadlines (one batch `tick` per second for the
 * per-connection checks, two for the rate limits), so `nextTimeout` costs the same with 1,000
 * peers as with one.
 *
 * Magnet links (BEP 9): we serve the info dictionary to peers that fetch it (`metadata.ts`).
 * Fetching is a separate phase: a metadata core gets the info dictionary and then constructs
 * this core with the metainfo, handing over nothing but addresses.
 */
import type { Address } from '../../../core/address.js'
import type { StreamTransport } from '../../../core/env.js'
import {
  NEED_DATA,
  type ConnectFailure,
  type ConnectionId,
  type StreamCloseReason,
  type StreamCore,
  type StreamOutput,
} from '../../../core/core.js'
import { assert } from '../../../core/errors.js'
import { TimerTable } from '../../../core/timers.js'
import { after, type Instant } from '../../../core/time.js'
import { BlockHashes } from './block-hashes.js'
import { Choking } from './choking.js'
import { Connections } from './connections.js'
import { SwarmContext, type SwarmOptions } from './context.js'
import { Dispatch } from './dispatch.js'
import { Holepunch } from './holepunch.js'
import { MetadataServer } from './metadata.js'
import type { PeerSourceKind, SwarmEvent, SwarmStats } from './events.js'
import type { Peer } from './peer.js'
import { Pex } from './pex.js'
import { piecePriorities } from './piece-priorities.js'
import { Requests } from './requests.js'
import { Uploads } from './uploads.js'
import { Verification } from './verification.js'
import { viewOf, type SwarmView } from './view.js'
import { WebSeedSources } from './web-seeds.js'
import type { Block } from '../picker/index.js'

/**
 * `upload` / `download`: the instant the rate limit's token bucket affords the next waiting
 * read or request (`Uploads.wakeAt`, `Requests.wakeAt`); set only while someone waits.
 */
type TimerName = 'tick' | 'rechoke' | 'pex' | 'stats' | 'upload' | 'download'

/** The top piece priority (libtorrent's levels: 0 skip, 1..7, 4 by default). */

/** Each message takes at least 4 bytes (a keep-alive), so a chunk holds at most this many. */
const MESSAGE_BYTES_MIN = 4

export class SwarmCore implements StreamCore<SwarmEvent> {
  private readonly ctx: SwarmContext
  private readonly connections: Connections
  private readonly requests: Requests
  private readonly uploads: Uploads
  private readonly verification: Verification
  private readonly choking: Choking
  private readonly pex: Pex
  private readonly holepunch: Holepunch
  private readonly dispatch: Dispatch
  private readonly webSeeds: WebSeedSources
  private readonly blockHashes: BlockHashes
  /** The timers are stopped: complete, alone and quiet (see `quiet`). */
  private idle = false
  private readonly timers = new TimerTable<TimerName>()

  constructor(options: SwarmOptions) {
    const ctx = new SwarmContext(options)
    this.ctx = ctx
    this.requests = new Requests(
      ctx,
      (peer, piece) => this.verification.blockAccepted(peer, piece),
      (peer, reason) => this.verification.ban(peer.remote.host, reason),
    )
    this.verification = new Verification(ctx, this.requests)
    this.blockHashes = new BlockHashes(ctx, {
      blocksBad: (piece, blocks) => this.verification.blocksFailed(piece, blocks),
      pieceBad: (piece) => this.verification.pieceFailed(piece),
    })
    this.verification.narrow = (piece, contributors) =>
      this.blockHashes.pieceFailed(piece, contributors)
    this.uploads = new Uploads(ctx)
    this.choking = new Choking(ctx, this.uploads, options.random.fork('choker'))
    this.connections = new Connections(ctx, {
      opened: (peer) => this.verification.applyReading(peer),
      left: (peer, wasOpen) => this.peerLeft(peer, wasOpen),
    })
    this.holepunch = new Holepunch(ctx, {
      peerAt: (address) => this.connections.peerAt(address),
      engaged: (address) => this.connections.engaged(address),
      punch: (address) => this.connections.punch(address),
    })
    this.pex = new Pex(ctx, (added, from) => {
      this.connections.addPeers(added, 'pex')
      this.holepunch.heardOf(from, added)
    })
    this.dispatch = new Dispatch(ctx, {
      connections: this.connections,
      requests: this.requests,
      uploads: this.uploads,
      choking: this.choking,
      pex: this.pex,
      metadata: new MetadataServer(ctx),
      holepunch: this.holepunch,
      blockHashes: this.blockHashes,
    })
    ctx.teardown = (peer, reason) => this.connections.left(peer, reason)
    this.webSeeds = new WebSeedSources(ctx, {
      accepted: (source, piece) => this.verification.blockAccepted(source, piece),
      cancel: (peerId, piece, begin) => {
        const index = ctx.geometry.indexOf({ piece, begin })
        if (index !== -1) this.requests.cancel(peerId, ctx.geometry.key(piece, index), piece, begin)
      },
      released: () => this.requests.kickStarved(),
    })
    this.verification.onPieceFailed = (contributors) => this.webSeeds.pieceFailed(contributors)
    this.armTimers(options.now)
  }

  private armTimers(now: Instant): void {
    const { config } = this.ctx
    this.timers.set('tick', after(now, config.tickInterval))
    this.timers.set('rechoke', after(now, config.rechokeInterval))
    this.timers.set('pex', after(now, config.pexInterval))
    this.timers.set('stats', after(now, config.statsInterval))
  }

  /**
   * A complete torrent with no peer, no address to dial, no web seed and nothing moving has
   * nothing for its timers to do: it stops them (after a last `stats` event with zero rates)
   * until something arrives, so a daemon seeding hundreds of torrents nobody asks for does
   * not wake up for each of them every second (issue 12: idle CPU). Anything that can give it
   * work (a connection, addresses, a web seed, new priorities) wakes it.
   */
  private quiet(): boolean {
    const { ctx } = this
    return (
      ctx.haveAll &&
      !ctx.shutDown &&
      ctx.peers.size === 0 &&
      ctx.candidates.size === 0 &&
      this.webSeeds.count === 0 &&
      ctx.uploadMeter.rate(ctx.now) === 0 &&
      ctx.downloadMeter.rate(ctx.now) === 0
    )
  }

  private wake(now: Instant): void {
    this.ctx.now = now
    if (!this.idle) return
    this.idle = false
    this.armTimers(now)
  }

  /** True while the timers are stopped (see `quiet`). */
  get sleeping(): boolean {
    return this.idle
  }

  // ---- StreamCore --------------------------------------------------------------------

  accepted(
    now: Instant,
    remote: Address,
    local: Address,
    transport?: StreamTransport,
  ): ConnectionId {
    this.wake(now)
    return this.connections.accepted(remote, local, transport)
  }

  connected(
    now: Instant,
    connection: ConnectionId,
    _local: Address,
    transport?: StreamTransport,
  ): void {
    const peer = this.peer(now, connection)
    if (peer === undefined) return
    this.connections.connected(peer, transport)
    this.verification.applyReading(peer)
  }

  connectFailed(now: Instant, connection: ConnectionId, reason: ConnectFailure): void {
    const peer = this.peer(now, connection)
    if (peer === undefined) return
    this.connections.connectFailed(peer, reason)
    this.holepunch.dialFailed(peer)
  }

  /** Bytes from the peer; `bytes` must stay unmodified (blocks are passed on as views). */
  received(now: Instant, connection: ConnectionId, bytes: Uint8Array): void {
    const peer = this.peer(now, connection)
    if (peer === undefined || peer.phase === 'connecting') return
    peer.wire.receiveBytes(now, bytes)
    const messagesMax = Math.floor(peer.wire.bufferedBytes / MESSAGE_BYTES_MIN) + 1
    for (let i = 0; i < messagesMax && peer.phase !== 'closed'; i++) {
      const next = peer.wire.nextMessage()
      if (!next.ok) {
        return this.ctx.fault(peer, 'malformed', `${next.error.code}: ${next.error.detail}`)
      }
      if (next.value === NEED_DATA) return
      this.dispatch.onMessage(peer, next.value)
    }
  }

  writeBlocked(now: Instant, connection: ConnectionId): void {
    const peer = this.peer(now, connection)
    if (peer !== undefined) this.uploads.writeBlocked(peer)
  }

  writable(now: Instant, connection: ConnectionId): void {
    const peer = this.peer(now, connection)
    if (peer !== undefined) this.uploads.writable(peer)
  }

  closed(now: Instant, connection: ConnectionId, reason: StreamCloseReason): void {
    const peer = this.peer(now, connection)
    if (peer !== undefined) this.connections.closed(peer, reason)
  }

  timeout(now: Instant): void {
    this.ctx.now = now
    const { config } = this.ctx
    this.syncRateTimers()
    for (const name of this.timers.expire(now)) {
      switch (name) {
        case 'upload':
          this.uploads.onQuota()
          break
        case 'download':
          this.requests.onQuota()
          break
        case 'tick':
          this.connections.tick()
          this.holepunch.tick()
          this.requests.tick()
          this.blockHashes.tick()
          this.choking.tick()
          this.timers.set('tick', after(now, config.tickInterval))
          break
        case 'rechoke':
          this.choking.rechoke()
          this.timers.set('rechoke', after(now, config.rechokeInterval))
          break
        case 'pex':
          this.pex.round()
          this.timers.set('pex', after(now, config.pexInterval))
          break
        case 'stats':
          this.ctx.emit({ type: 'stats', ...this.statsNow() })
          this.timers.set('stats', after(now, config.statsInterval))
          break
      }
    }
    if (this.quiet()) {
      this.idle = true
      this.ctx.emit({ type: 'stats', ...this.statsNow() })
      for (const name of ['tick', 'rechoke', 'pex', 'stats'] as const) this.timers.stop(name)
    }
  }

  nextTimeout(): Instant | undefined {
    this.syncRateTimers()
    return this.timers.next()
  }

  takeOutputs(): StreamOutput<SwarmEvent>[] {
    this.requests.runKicks()
    return this.ctx.takeOutputs()
  }

  // ---- storage and discovery inputs --------------------------------------------------

  /** Storage wrote a block handed out in `write_block`. */
  blockWritten(now: Instant, piece: number, begin: number, length: number): void {
    this.ctx.now = now
    this.verification.blockWritten(piece, begin, length)
  }

  /** Storage could not write a block: a torrent-level error, downloading stops. */
  blockWriteFailed(now: Instant, piece: number, begin: number, length: number, message: string) {
    this.ctx.now = now
    this.verification.blockWriteFailed(piece, begin, length, message)
  }

  /** The answer to `read_block`; `bytes` undefined when the read failed. */
  blockRead(now: Instant, requestKey: number, bytes: Uint8Array | undefined): void {
    this.ctx.now = now
    this.uploads.blockRead(requestKey, bytes)
  }

  /** The hash check asked for by `verify_piece`. */
  pieceVerified(now: Instant, piece: number, ok: boolean): void {
    this.ctx.now = now
    this.verification.pieceVerified(piece, ok)
  }

  /**
   * The answer to `hash_blocks`: the SHA-256 of each 16 KiB block of the file's bytes in the
   * piece as stored (`undefined` when the read failed).
   */
  pieceBlockHashes(now: Instant, piece: number, leaves: readonly Uint8Array[] | undefined): void {
    this.ctx.now = now
    this.blockHashes.blocksRead(piece, leaves)
  }

  /** Candidate addresses from a tracker, PEX, the DHT or the user; returns how many were new. */
  addPeers(now: Instant, addresses: readonly Address[], source: PeerSourceKind): number {
    this.wake(now)
    this.ctx.now = now
    if (this.ctx.shutDown) return 0
    return this.connections.addPeers(addresses, source)
  }

  /**
   * Per-file priorities, one per `metainfo.files` entry (pad files included, their value
   * ignored): 0 skips the file, 1..7 low to top, 4 the default. A piece takes the highest
   * priority of the non-pad files it touches, so it is skipped only when all of them are.
   * The download completes when every piece above 0 is verified (`download_completed`);
   * raising priorities later makes it download (and complete) again. O(pieces + files),
   * plus O(peers * pieces) to recount interest.
   */
  setFilePriorities(now: Instant, priorities: readonly number[]): void {
    this.wake(now)
    this.ctx.now = now
    const { ctx } = this
    const pieces = piecePriorities(ctx.metainfo, ctx.pieceCount, priorities)
    const wasComplete = ctx.complete
    for (let piece = 0; piece < ctx.pieceCount; piece++) {
      ctx.picker.setPiecePriority(piece, pieces[piece] as number)
    }
    ctx.recountWanted()
    this.verification.prioritiesChanged(wasComplete)
  }

  // ---- web seeds (BEP 19; the HTTP side is the driver's, see web-seeds.ts) ---------------

  /** A new web seed source; returns its id for the `webSeed*` calls. */
  addWebSeed(now: Instant): number {
    this.wake(now)
    this.ctx.now = now
    return this.webSeeds.add()
  }

  /**
   * Up to `count` blocks for the web seed to fetch; deliver or release each of them. Web seed
   * bytes count against the download limits (the torrent's and the peer's) as peers' do: the
   * blocks are paid for when picked, as a request to a peer is, and none is picked while the
   * limits afford none (`webSeedReadyAt` says when to ask again).
   */
  webSeedPick(now: Instant, id: number, count: number): Block[] {
    this.ctx.now = now
    const throttle = this.requests.bucket
    const affordable = throttle.affordable(now, this.ctx.geometry.blockLength)
    const blocks = this.webSeeds.pick(id, Math.min(count, affordable))
    for (const block of blocks) throttle.spend(now, block.length)
    return blocks
  }

  /** When the download limits afford a web seed's next block; undefined: unlimited. */
  webSeedReadyAt(): Instant | undefined {
    return this.requests.bucket.readyAt(this.ctx.geometry.blockLength)
  }

  /** A block the web seed fetched; false when it was not kept (duplicate, seed gone). */
  webSeedBlock(now: Instant, id: number, piece: number, begin: number, bytes: Uint8Array): boolean {
    this.ctx.now = now
    return this.webSeeds.block(id, piece, begin, bytes)
  }

  /** Picked blocks the web seed will not deliver (a failed fetch). */
  webSeedRelease(now: Instant, id: number, blocks: readonly Block[]): void {
    this.ctx.now = now
    this.webSeeds.release(id, blocks)
  }

  /** Drops the web seed (it gave up); its requests return to missing. */
  removeWebSeed(now: Instant, id: number): void {
    this.ctx.now = now
    this.webSeeds.remove(id)
  }

  /** Whether a piece it contributed to failed its hash check (it is then dropped). */
  isWebSeedBanned(id: number): boolean {
    return this.webSeeds.isBanned(id)
  }

  /**
   * Changes the connection limit at run time (a peer splitting one budget between its
   * torrents). Lowering it closes nobody: the table shrinks as connections end, and neither
   * dials nor incoming connections refill it above the new limit. At least 1.
   */
  setPeersMax(now: Instant, peersMax: number): void {
    // No wake: with no address to dial, a new budget gives an idle torrent nothing to do.
    this.ctx.now = now
    assert(Number.isSafeInteger(peersMax) && peersMax >= 1, `bad peersMax ${peersMax}`)
    this.ctx.peersMax = peersMax
    if (!this.ctx.shutDown) this.connections.dialMore()
  }

  /**
   * Whether a full table would still take an incoming connection, by evicting a silent or idle
   * peer (`evictionVictim`). A listener asks before the handshake, so a connection the core
   * would close at once does not first pay for one (MSE: two 768-bit exponentiations per end).
   */
  evictsForIncoming(now: Instant): boolean {
    this.ctx.now = now
    return this.connections.evictsForIncoming()
  }

  /** Closes every connection gracefully; the core is inert afterwards. */
  shutdown(now: Instant): void {
    this.ctx.now = now
    this.connections.shutdown()
    for (const name of ['tick', 'rechoke', 'pex', 'stats'] as const) this.timers.stop(name)
    this.syncRateTimers()
  }

  /** Every wanted piece (priority above 0) is verified; see `setFilePriorities`. O(1). */
  get complete(): boolean {
    return this.ctx.complete
  }

  /** A snapshot for invariant checks and tests; see `view.ts`. */
  inspect(): SwarmView {
    return viewOf(this.ctx, {
      halfOpen: this.connections.halfOpen,
      incomingRefused: this.connections.incomingRefused,
      unchoked: this.choking.unchoked,
      readsInFlight: this.uploads.readsInFlight,
      ignored: this.dispatch.ignored,
      holepunch: { ...this.holepunch.counts },
      stats: this.statsNow(),
    })
  }

  // ---- helpers -----------------------------------------------------------------------

  /**
   * The rate-limit timers follow the modules' wake instants, which any input may change; O(1)
   * each (the head of a waiting line), so it runs on every `nextTimeout`.
   */
  private syncRateTimers(): void {
    this.setOrStop('upload', this.uploads.wakeAt)
    this.setOrStop('download', this.requests.wakeAt)
  }

  private setOrStop(name: TimerName, at: Instant | undefined): void {
    if (at === undefined) this.timers.stop(name)
    else this.timers.set(name, at)
  }

  /** The counters now, without building the whole view (O(1)): connection budgets read it. */
  statsNow(): SwarmStats {
    const { ctx } = this
    return {
      downloadedBytes: ctx.downloadedBytes,
      uploadedBytes: ctx.uploadedBytes,
      downloadRate: ctx.downloadMeter.rate(ctx.now),
      uploadRate: ctx.uploadMeter.rate(ctx.now),
      peers: ctx.peers.size - this.connections.halfOpen,
      halfOpen: this.connections.halfOpen,
      candidates: ctx.candidates.size,
      piecesVerified: ctx.picker.verifiedCount,
      pieceCount: ctx.pieceCount,
    }
  }

  private peerLeft(peer: Peer, wasOpen: boolean): void {
    this.requests.peerLeft(peer, wasOpen)
    this.uploads.peerLeft(peer)
    this.choking.peerLeft(peer)
    this.pex.peerLeft(peer)
    this.holepunch.peerLeft(peer, wasOpen)
    this.blockHashes.peerLeft(peer)
  }

  /** The connection's peer, with `now` recorded; undefined for connections we closed. */
  private peer(now: Instant, connection: ConnectionId): Peer | undefined {
    this.ctx.now = now
    return this.ctx.peers.get(connection)
  }
}

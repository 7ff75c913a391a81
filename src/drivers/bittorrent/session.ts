import { listenPeers, PEER_TRANSPORTS_DEFAULT, peerNet } from './peer-transports.js'
import type { Address } from '../../core/address.js'
import type { Callback, StreamSocket } from '../../core/env.js'
import { OperationalError } from '../../core/errors.js'
import { err, ok } from '../../core/result.js'
import type { Instant } from '../../core/time.js'
import { swarmHashes, type Metainfo } from '../../protocols/bittorrent/metainfo/index.js'
import type { Bitfield } from '../../protocols/bittorrent/picker/index.js'
import type { TorrentStorage } from '../../protocols/bittorrent/storage/index.js'
import {
  DEFAULT_SWARM_CONFIG,
  SwarmCore,
  type SwarmEvent,
  type SwarmStats,
  type SwarmView,
} from '../../protocols/bittorrent/swarm/index.js'
import { attachStream, type AttachedStream } from '../attach-stream.js'
import { equalBytes } from '../../core/bytes.js'
import { skeyHash } from '../../protocols/mse/index.js'
import { announceLeft } from './announce-left.js'
import { Announcing } from './announcing.js'
import { DhtAnnouncing } from './dht-announcing.js'
import { acceptIncoming } from './mse-accept.js'
import { encryptingNet } from './mse-net.js'
import { saveSessionLayers } from './session-layers.js'
import { openSessionStorage } from './session-open.js'
import { StorageRequests } from './storage-requests.js'
import { WebSeeding, type WebSeedStatus } from './webseed.js'

export type { FatalCode, SessionEvent } from './session-events.js'
export type { TorrentSessionOptions } from './session-options.js'
import type { TorrentSessionOptions } from './session-options.js'

/**
 * Upload slots of a real session unless configured: libtorrent's default unchoke slots (8,
 * the optimistic one included). The choker's policy default (5) stays what the simulator's
 * policy studies use. On one machine, 1 seed -> 8 leechers of 128 MiB took 61.0 / 61.6 s with
 * 5 slots against 48.1 / 50.3 s with every leecher unchoked: with 5, three leechers waited
 * for the seed's rotation while the seed could have served them too.
 */
export const REAL_UPLOAD_SLOTS = 8

export class TorrentSession {
  private closing = false
  /** Answers the swarm core's storage requests; writes the resume checkpoints. */
  private readonly requests: StorageRequests

  private constructor(
    private readonly options: TorrentSessionOptions,
    private readonly storage: TorrentStorage,
    private readonly swarm: SwarmCore,
    private readonly attached: AttachedStream,
    private readonly announcing: readonly Announcing[],
    readonly listenAddress: Address,
  ) {
    const { env } = options
    this.requests = new StorageRequests({
      storage,
      swarm,
      clock: env.clock,
      hashing: env.hashing,
      log: env.log,
      defer: options.defer,
      flush: () => attached.flush(),
      onEvent: options.onEvent,
    })
  }

  /**
   * Checks what is on disk (resume data against the files' sizes and mtimes, rechecking what
   * changed; everything without usable resume data), creates the torrent's empty files, then
   * joins the swarm.
   */
  static open(given: TorrentSessionOptions, done: Callback<TorrentSession>): void {
    openSessionStorage(given, (opened) => {
      if (!opened.ok) return done(opened)
      const { options, storage, layers, verified, source } = opened.value
      TorrentSession.listen(options, storage, layers, verified, (listening) => {
        // After a recheck the record is stale: write one with today's sizes and mtimes.
        if (listening.ok && source === 'recheck' && options.resumeStore !== undefined) {
          listening.value.requests.checkpoint()
        }
        done(listening)
      })
    })
  }

  private static listen(
    options: TorrentSessionOptions,
    storage: TorrentStorage,
    layers: Map<string, Uint8Array> | undefined,
    verified: Bitfield,
    done: Callback<TorrentSession>,
  ): void {
    const { env, metainfo } = options
    const policy = options.swarmConfig?.encryption ?? DEFAULT_SWARM_CONFIG.encryption
    const mse = {
      clock: env.clock,
      random: env.random.fork(`mse ${metainfo.infoHashHex}`),
      sha1: (parts: readonly Uint8Array[]) => env.hashing.sha1(parts),
      keyAgreement: env.keyAgreement,
      defer: options.defer,
    }
    const count = (name: string): void => env.metrics.count(name)
    // A hybrid is reachable under both of its hashes (BEP 52), encrypted or not.
    const hashes = swarmHashes(metainfo)
    const req2s = hashes.map((hash) => skeyHash(mse.sha1, hash))
    const findInfoHash = (hash: Uint8Array): Uint8Array | undefined =>
      hashes[req2s.findIndex((req2) => equalBytes(hash, req2))]
    // The listen port must be known before the core exists (it goes in the extended
    // handshake), so the session binds first and hands accepted sockets over afterwards.
    let session: TorrentSession | undefined
    const bind = (ready: Callback<{ local: Address; close(): void }>): void => {
      if (options.sharedListener === true) {
        const local = options.listen
        return options.defer(() => ready(ok({ local, close: () => undefined })))
      }
      listenPeers(
        env.net,
        options.listen,
        options.transports ?? PEER_TRANSPORTS_DEFAULT,
        (socket) =>
          acceptIncoming(socket, { policy, findInfoHash, mse, count }, (stream) =>
            session === undefined ? stream.destroy() : session.adopt(stream),
          ),
        ready,
      )
    }
    bind((listening) => {
      if (!listening.ok) return storage.close(() => done(listening))
      const listen = listening.value.local
      const swarm = new SwarmCore({
        metainfo,
        peerId: options.peerId,
        have: storage.verifiedPieces(),
        config: {
          ...DEFAULT_SWARM_CONFIG,
          uploadSlots: REAL_UPLOAD_SLOTS,
          ...options.swarmConfig,
          ...(options.sequential !== undefined ? { sequential: options.sequential } : {}),
          ...(options.dht !== undefined ? { dhtPort: options.dht.port } : {}),
        },
        random: env.random.fork('swarm'),
        now: env.clock.now(),
        listenPort: listen.port,
        sha1: (parts) => env.hashing.sha1(parts),
        sha256: (parts) => env.hashing.sha256(parts),
        ...(layers === undefined ? {} : { pieceLayerStore: layers }),
        ...(options.globalUploadLimiter === undefined
          ? {}
          : { globalUploadLimiter: options.globalUploadLimiter }),
        ...(options.globalDownloadLimiter === undefined
          ? {}
          : { globalDownloadLimiter: options.globalDownloadLimiter }),
      })
      if (options.filePriorities !== undefined) {
        swarm.setFilePriorities(env.clock.now(), options.filePriorities)
      }
      const attached = attachStream(swarm, {
        clock: env.clock,
        net: encryptingNet(peerNet(env.net, options.transports ?? PEER_TRANSPORTS_DEFAULT), {
          ...mse,
          policy,
          infoHash: metainfo.infoHash,
          count,
        }),
        metrics: env.metrics,
        onEvent: (event) => session?.onSwarmEvent(event),
      })
      // One announcer per swarm hash: a hybrid is announced under its v1 and v2 hashes.
      const trackers = options.trackers
      const announcing =
        trackers === undefined || metainfo.announceList.length === 0
          ? []
          : hashes.map(
              (infoHash) =>
                new Announcing({
                  env,
                  infoHash,
                  announceList: metainfo.announceList,
                  peerId: options.peerId,
                  port: listen.port,
                  transport: trackers,
                  progress: () => session?.progress() ?? { uploaded: 0, downloaded: 0, left: 0 },
                  onPeers: (peers) => session?.addPeers(peers, 'tracker'),
                  onMessage: (url, message) => options.onEvent?.({ type: 'tracker', url, message }),
                }),
            )
      session = new TorrentSession(options, storage, swarm, attached, announcing, listen)
      session.closeListener = () => listening.value.close()
      if (options.webSeeds !== false && metainfo.urlList.length > 0) {
        session.webSeeding = new WebSeeding({
          env,
          metainfo,
          swarm,
          flush: () => attached.flush(),
          ...(options.webSeedConfig === undefined ? {} : { config: options.webSeedConfig }),
          onEvent: (event) => options.onEvent?.(event),
        })
      }
      options.onEvent?.({ type: 'ready', verifiedPieces: verified.count, listen })
      if (options.peers !== undefined) session.addPeers(options.peers, 'manual')
      for (const announcer of announcing) announcer.start(storage.verifiedPieces().hasAll())
      const dht = options.dht
      if (dht !== undefined) {
        const current = session
        current.dhtAnnouncing = hashes.map(
          (infoHash) =>
            new DhtAnnouncing({
              env,
              dht,
              infoHash,
              port: listen.port,
              isComplete: () => current.isComplete,
              onPeers: (peers) => current.addPeers(peers, 'dht'),
            }),
        )
        for (const announcer of current.dhtAnnouncing) announcer.start()
      }
      session.webSeeding?.start()
      attached.flush()
      done(ok(session))
    })
  }

  private closeListener: () => void = () => undefined
  private dhtAnnouncing: readonly DhtAnnouncing[] = []
  private webSeeding: WebSeeding | undefined

  get metainfo(): Metainfo {
    return this.options.metainfo
  }

  /** Every wanted piece is verified (all of them unless `filePriorities` skips some). */
  get isComplete(): boolean {
    return this.swarm.complete
  }

  /** The swarm's counters now (not only as of the last periodic `stats` event). */
  get stats(): SwarmStats {
    return this.swarm.statsNow()
  }

  /** The torrent's web seeds (BEP 19) and what each delivered; empty without `url-list`. */
  get webSeeds(): WebSeedStatus[] {
    return this.webSeeding?.statuses() ?? []
  }

  addPeers(peers: readonly Address[], source: 'tracker' | 'manual' | 'pex' | 'dht'): void {
    if (this.closing) return
    this.swarm.addPeers(this.now(), peers, source)
    this.attached.flush()
  }

  /** Leaves the swarm (stopped to trackers), writes the final resume data, closes files. */
  close(done: Callback<void>): void {
    if (this.closing) return done(err(new OperationalError('closed', 'session is closing')))
    this.closing = true
    for (const announcer of this.dhtAnnouncing) announcer.stop()
    this.webSeeding?.close()
    const finish = (): void => {
      this.swarm.shutdown(this.now())
      this.attached.flush()
      this.closeListener()
      this.storage.close((closed) => {
        this.attached.close()
        done(closed)
      })
    }
    // `stopped` to every tracker under every hash, then finish.
    let stopping = this.announcing.length
    if (stopping === 0) return finish()
    for (const announcer of this.announcing) {
      announcer.stop(() => {
        if (--stopping === 0) finish()
      })
    }
  }

  /** Takes over a connection accepted by the owner's listener (see `sharedListener`). */
  adopt(socket: StreamSocket): void {
    if (this.closing) return socket.destroy()
    this.attached.adopt(socket)
  }

  /** Whether the full swarm would evict someone for an incoming connection (asked before MSE). */
  evictsForIncoming(): boolean {
    return !this.closing && this.swarm.evictsForIncoming(this.now())
  }

  /** A snapshot of the swarm (peers, flags, counters); O(peers + pieces). */
  inspect(): SwarmView {
    return this.swarm.inspect()
  }

  /** Connections this torrent may hold from now on (a peer-wide budget split between torrents). */
  setPeersMax(peersMax: number): void {
    if (this.closing) return
    this.swarm.setPeersMax(this.now(), peersMax)
    this.attached.flush()
  }

  /** New per-file priorities (one per `metainfo.files` entry; 0 skips the file). */
  setFilePriorities(priorities: readonly number[]): void {
    if (this.closing) return
    this.swarm.setFilePriorities(this.now(), priorities)
    this.attached.flush()
    // Web seeds stop looking once the download completes; new wanted pieces wake them.
    this.webSeeding?.start()
  }

  private now(): Instant {
    return this.options.env.clock.now()
  }

  private progress(): { uploaded: number; downloaded: number; left: number } {
    const m = this.options.metainfo
    const verified = this.storage.verifiedPieces()
    const view = this.swarm.inspect()
    const left = announceLeft(m, verified, (piece) => view.picker.piecePriority(piece))
    const stats = view.stats
    return { uploaded: stats.uploadedBytes, downloaded: stats.downloadedBytes, left }
  }

  private onSwarmEvent(event: SwarmEvent): void {
    if (this.requests.handle(event)) return
    switch (event.type) {
      case 'piece_layers_fetched':
        // Kept beside the resume data, so that a restart need not fetch them (BEP 52 magnets).
        if (this.options.resumeStore !== undefined) {
          saveSessionLayers(this.options.env, this.options.resumeStore, this.options.metainfo)
        }
        break
      case 'download_completed':
        this.requests.checkpoint()
        for (const announcer of this.announcing) announcer.completed()
        break
      case 'dht_node':
        this.options.dht?.addNode(event.address)
        break
      case 'piece_failed':
        this.webSeeding?.pieceFailed()
        break
    }
    this.options.onEvent?.(event)
    if (event.type === 'stats' && this.webSeeding !== undefined) {
      this.options.onEvent?.({ type: 'web_seeds', webSeeds: this.webSeeding.statuses() })
    }
  }
}

import type { Address } from '../core/address.js'
import type { Callback, StreamSocket } from '../core/env.js'
import { OperationalError } from '../core/errors.js'
import { err, ok, type Result } from '../core/result.js'
import { fetchMetadata } from '../drivers/bittorrent/fetch-metadata.js'
import type { StoredData } from '../drivers/bittorrent/stored-data.js'
import { TorrentSession, type SessionEvent } from '../drivers/bittorrent/session.js'
import type { Magnet, Metainfo } from '../protocols/bittorrent/metainfo/index.js'
import {
  prioritiesFromSelectOnly,
  selectOnlyOf,
} from '../protocols/bittorrent/metainfo/magnet-select.js'
import type { Bitfield } from '../protocols/bittorrent/picker/index.js'
import { isFileComplete } from '../protocols/bittorrent/storage/index.js'
import {
  DEFAULT_SWARM_CONFIG,
  type SwarmStats,
  type SwarmView,
} from '../protocols/bittorrent/swarm/index.js'
import type { TorrentHost } from './torrent-host.js'
import { metadataOptions, sessionOptions } from './torrent-open-options.js'
import { checkPausedTorrent } from './torrent-paused-check.js'
import { deleteTorrentState } from './torrent-removal.js'
import { fileStatuses, peerStatuses, trackerStatuses, verifiedBytesOf } from './torrent-view.js'
import type {
  AddTorrentOptions,
  TorrentDetail,
  TorrentId,
  TorrentState,
  TorrentStatus,
} from './types.js'

/** Storage requests the session answers itself: plumbing, not news. */
const PLUMBING = new Set(['write_block', 'read_block', 'verify_piece'])

/** What the owner asked for; the torrent works towards it (`drive`). */
type Goal = 'run' | 'pause' | 'stop'

/**
 * The one operation in flight, if any: each ends by calling `drive` again. 'checking' is a
 * paused torrent's file check (no session, no swarm), run so that it shows what is on disk.
 */
type Busy = 'fetching' | 'opening' | 'closing' | 'checking'

/** Counters of sessions that ended (a torrent runs one session per start). */
interface Totals {
  downloadedBytes: number
  uploadedBytes: number
}

/**
 * One torrent of a peer across its whole life: the magnet phase (BEP 9) when it has no
 * metainfo yet, then a `TorrentSession` per run (pause closes it with its resume data written;
 * resume opens a new one, which trusts that data). Pause, resume, remove and stop may come at
 * any moment (while metadata is fetched, while files are checked): the torrent records the
 * goal and reaches it once the operation in flight ends, so nothing is closed twice or
 * reopened behind a removal.
 */
export class ManagedTorrent {
  private meta: Metainfo | undefined
  private session: TorrentSession | undefined
  private busy: Busy | undefined
  private goal: Goal
  private fetching: { cancel(): void } | undefined
  private error: { code: string; message: string } | undefined
  private reported: TorrentState | undefined
  private recheckNext: boolean
  private priorities: readonly number[] | undefined
  private peersMaxNow: number
  private extraPeers: readonly Address[]
  private readonly totals: Totals = { downloadedBytes: 0, uploadedBytes: 0 }
  /** What the last session knew when it closed (shown while paused). */
  private closedHave: Bitfield | undefined
  private closedComplete = false
  /** The listener or DHT changed while the session opened: reopen it (see `reopen`). */
  private reopenOnceOpen = false
  /** A paused check is queued or done: a paused torrent checks its files once. */
  private pausedCheck: 'none' | 'queued' | 'done' = 'none'
  private readonly trackerMessages = new Map<string, string>()
  private readonly idleWaiters: (() => void)[] = []

  constructor(
    private readonly host: TorrentHost,
    readonly infoHash: TorrentId,
    private readonly options: AddTorrentOptions,
    metainfo: Metainfo | undefined,
    private readonly magnet: Magnet | undefined,
  ) {
    this.meta = metainfo
    this.goal = options.paused === true ? 'pause' : 'run'
    this.recheckNext = options.recheck === true
    this.priorities = options.filePriorities
    this.extraPeers = options.peers ?? []
    this.peersMaxNow = this.peersWanted
  }

  get metainfo(): Metainfo | undefined {
    return this.meta
  }

  /** Connections this torrent would use on its own (its swarm's `peersMax`). */
  get peersWanted(): number {
    return this.host.swarm.peersMax ?? DEFAULT_SWARM_CONFIG.peersMax
  }

  /** It has, or is about to have, connections: counted in the peer's connection budget. */
  get needsConnections(): boolean {
    return this.session !== undefined || this.busy === 'opening' || this.busy === 'fetching'
  }

  /**
   * Its connections as its swarm core counts them against `peersMax`: dials under way too, so
   * the listener does not admit (and run MSE for) a connection the core then closes as over
   * its limit. Counting only handshaking and open ones, a 1,000-peer swarm closed about 25,000
   * of its 59,000 connections right after their MSE handshakes.
   */
  get connections(): number {
    const stats = this.session?.stats
    return stats === undefined ? 0 : stats.peers + stats.halfOpen
  }

  /** Its swarm is full but would evict a silent or idle peer for a newcomer. */
  get evictsForIncoming(): boolean {
    return this.session?.evictsForIncoming() ?? false
  }

  /** Hands an incoming connection (its handshake replayed) to the running session. */
  taker(): ((socket: StreamSocket) => void) | undefined {
    const session = this.session
    if (session === undefined || this.goal !== 'run') return undefined
    return (socket) => session.adopt(socket)
  }

  /**
   * The peer's listener or DHT changed: a running session closes (its resume data written)
   * and opens again with them; one opening now does so once it is open.
   */
  reopen(): void {
    if (this.session !== undefined && this.busy === undefined) return this.close(this.session)
    if (this.busy === 'opening') this.reopenOnceOpen = true
  }

  /** Its share of the peer's connection budget (see `shareConnections`). */
  setPeersMax(peersMax: number): void {
    this.peersMaxNow = peersMax
    this.session?.setPeersMax(peersMax)
  }

  start(): void {
    this.drive()
  }

  pause(done: Callback<TorrentStatus>): void {
    if (this.goal === 'stop') return done(this.gone())
    this.goal = 'pause'
    this.drive()
    done(ok(this.status()))
  }

  /** Also restarts a torrent stopped by an error (the error is forgotten and retried). */
  resume(done: Callback<TorrentStatus>): void {
    if (this.goal === 'stop') return done(this.gone())
    this.goal = 'run'
    this.error = undefined
    this.drive()
    done(ok(this.status()))
  }

  setFilePriorities(priorities: readonly number[]): void {
    this.priorities = [...priorities]
    this.session?.setFilePriorities(priorities)
    this.report()
  }

  /**
   * Stops for good (the peer is stopping, or the torrent is removed): the running session
   * leaves its swarm and writes its resume data; `done` runs once nothing is in flight.
   */
  stop(done: () => void): void {
    this.goal = 'stop'
    this.idleWaiters.push(done)
    this.drive()
  }

  /** After `stop`: deletes the resume data and, when asked, the torrent's files. */
  deleteState(deleteData: boolean, done: Callback<void>): void {
    const m = this.meta
    if (m === undefined) return this.host.defer(() => done(ok(undefined)))
    const disks = { stateDisk: this.host.stateDisk, dataDisk: this.host.env.disk }
    deleteTorrentState(disks, this.options.saveDir, m, deleteData, done)
  }

  status(): TorrentStatus {
    const m = this.meta
    const stats = this.session?.stats
    const have = this.session?.inspect().have ?? this.closedHave
    const length = m?.totalLength ?? 0
    const name = m?.name ?? this.magnet?.displayName ?? this.infoHash
    return {
      infoHash: this.infoHash,
      name,
      state: this.state(),
      saveDir: this.options.saveDir,
      length,
      verifiedBytes: m === undefined || have === undefined ? 0 : verifiedBytesOf(m, have),
      pieces: m?.pieceCount ?? 0,
      piecesVerified: stats?.piecesVerified ?? have?.count ?? 0,
      downloadedBytes: this.totals.downloadedBytes + (stats?.downloadedBytes ?? 0),
      uploadedBytes: this.totals.uploadedBytes + (stats?.uploadedBytes ?? 0),
      downloadRate: stats?.downloadRate ?? 0,
      uploadRate: stats?.uploadRate ?? 0,
      peers: stats?.peers ?? 0,
      complete: this.session?.isComplete ?? this.closedComplete,
      ...(this.error === undefined ? {} : { error: this.error.message }),
    }
  }

  detail(): TorrentDetail {
    const m = this.meta
    const view = this.session?.inspect()
    const have = view?.have ?? this.closedHave
    return {
      ...this.status(),
      pieceLength: m?.pieceLength ?? 0,
      files: m === undefined ? [] : fileStatuses(m, this.priorities, have),
      peerList: view === undefined ? [] : peerStatuses(view),
      trackers: m === undefined ? [] : trackerStatuses(m, this.trackerMessages),
      webSeeds: (this.session?.webSeeds ?? []).map(
        ({ url, phase, downloadRate, downloadedBytes, error }) => ({
          url,
          phase,
          downloadRate,
          downloadedBytes,
          ...(error === undefined ? {} : { error }),
        }),
      ),
    }
  }

  /** The live swarm's snapshot, while a session runs. */
  swarmView(): SwarmView | undefined {
    return this.session?.inspect()
  }

  private gone(): Result<TorrentStatus, OperationalError> {
    return err(new OperationalError('not_found', `torrent ${this.infoHash} is being removed`))
  }

  private state(): TorrentState {
    if (this.error !== undefined) return 'error'
    // A paused torrent checking its files shows it, as libtorrent does (checking, paused flag).
    if (this.busy === 'checking') return 'checking'
    if (this.goal !== 'run') return 'paused'
    if (this.busy === 'fetching' || (this.meta === undefined && this.busy === undefined)) {
      return 'fetching_metadata'
    }
    if (this.session === undefined) return 'checking'
    return this.session.isComplete ? 'seeding' : 'downloading'
  }

  /** Emits `torrent_state` when the state changed since the last report. */
  private report(): void {
    const state = this.state()
    if (state === this.reported) return
    this.reported = state
    this.host.emit({
      type: 'torrent_state',
      infoHash: this.infoHash,
      state,
      ...(this.error === undefined ? {} : { error: this.error.message, code: this.error.code }),
    })
  }

  /** Works towards the goal: one operation at a time, each calling back here when it ends. */
  private drive(): void {
    if (this.busy === 'fetching' && this.goal !== 'run') this.fetching?.cancel()
    if (this.busy === undefined) {
      const wantsRun = this.goal === 'run' && this.error === undefined
      if (wantsRun && this.session === undefined) {
        if (this.meta === undefined) this.fetch()
        else this.open(this.meta)
      } else if (!wantsRun && this.session !== undefined) this.close(this.session)
      else if (this.wantsPausedCheck()) this.queuePausedCheck()
    }
    this.report()
    if (this.busy === undefined) {
      for (const waiter of this.idleWaiters.splice(0)) waiter()
    }
  }

  /**
   * Paused since it was added (never run): what is on disk is not known yet. libtorrent checks
   * such a torrent's resume data and files anyway, so that a complete torrent added paused
   * shows 100 %, not 0: so does this, without joining the swarm.
   */
  private wantsPausedCheck(): boolean {
    return (
      this.goal === 'pause' &&
      this.error === undefined &&
      this.meta !== undefined &&
      this.session === undefined &&
      this.closedHave === undefined &&
      this.pausedCheck === 'none'
    )
  }

  private queuePausedCheck(): void {
    this.pausedCheck = 'queued'
    this.host.queueCheck((release) => {
      const m = this.meta
      // Resumed, removed or checked by a session meanwhile: nothing left to do.
      if (!this.wantsQueuedCheck() || m === undefined) {
        this.pausedCheck = 'none'
        release()
        return this.drive()
      }
      this.busy = 'checking'
      this.report()
      this.checkFiles(m, () => {
        release()
        this.busy = undefined
        this.drive()
      })
    })
  }

  private wantsQueuedCheck(): boolean {
    return this.goal === 'pause' && this.busy === undefined && this.session === undefined
  }

  private checkFiles(m: Metainfo, done: () => void): void {
    const settings = {
      saveDir: this.options.saveDir,
      recheck: this.recheckNext,
      priorities: this.priorities,
    }
    const checked = (outcome: Result<StoredData, OperationalError>): void => {
      this.pausedCheck = 'done'
      if (!outcome.ok) {
        // Reported as a session's failure would be; resume retries (with a session).
        if (this.goal !== 'stop') {
          this.error = { code: outcome.error.code, message: outcome.error.message }
        }
        return
      }
      const { verified } = outcome.value
      this.closedHave = verified
      this.closedComplete = m.files.every(
        (file, index) =>
          file.pad || this.priorities?.[index] === 0 || isFileComplete(m, verified, index),
      )
    }
    checkPausedTorrent(this.host, this.infoHash, m, settings, checked, done)
  }

  private fetch(): void {
    const magnet = this.magnet
    if (magnet === undefined) return
    this.busy = 'fetching'
    this.host.connectionsChanged()
    this.fetching = fetchMetadata(
      metadataOptions(this.host, magnet, this.extraPeers),
      (fetched) => {
        this.fetching = undefined
        this.busy = undefined
        this.host.connectionsChanged()
        if (!fetched.ok) {
          // A cancel is the owner's doing (pause, remove, stop), not an error.
          if (fetched.error.code !== 'closed') {
            this.error = { code: fetched.error.code, message: fetched.error.message }
          }
          return this.drive()
        }
        // A magnet's web seeds (`ws`, BEP 19) join the metadata's (which has none: the info
        // dictionary does not carry `url-list`).
        const fetchedMeta = fetched.value.metainfo
        const webSeeds = [...new Set([...fetchedMeta.urlList, ...magnet.webSeeds])]
        const m = { ...fetchedMeta, urlList: webSeeds }
        this.meta = m
        // BEP 53 `so`: the magnet's file selection, unless the owner chose priorities.
        const selected = selectOnlyOf(
          this.options.source.kind === 'magnet' ? this.options.source.uri : '',
        )
        if (this.priorities === undefined && selected !== undefined) {
          const priorities = prioritiesFromSelectOnly(m.files, selected)
          if (priorities !== undefined) this.priorities = priorities
        }
        this.extraPeers = [...this.extraPeers, ...fetched.value.peers]
        this.host.emit({
          type: 'torrent_metadata',
          infoHash: this.infoHash,
          name: m.name,
          metadataBytes: m.infoBytes.length,
        })
        // Outside the listeners' call, so that priorities they set apply to the check.
        this.host.defer(() => this.drive())
      },
    )
  }

  private open(m: Metainfo): void {
    this.busy = 'opening'
    this.host.connectionsChanged()
    const recheck = this.recheckNext
    this.recheckNext = false
    TorrentSession.open(
      sessionOptions(this.host, m, {
        options: this.options,
        peers: this.extraPeers,
        peersMax: this.peersMaxNow,
        priorities: this.priorities,
        recheck,
        onEvent: (event) => this.onSessionEvent(event),
      }),
      (opened) => {
        this.busy = undefined
        if (!opened.ok) {
          this.error = { code: opened.error.code, message: opened.error.message }
        } else {
          this.session = opened.value
          // Dialled before the budget was shared anew: apply the share now.
          opened.value.setPeersMax(this.peersMaxNow)
          if (this.reopenOnceOpen) {
            this.reopenOnceOpen = false
            this.host.connectionsChanged()
            return this.close(opened.value)
          }
        }
        this.host.connectionsChanged()
        this.drive()
      },
    )
  }

  private close(session: TorrentSession): void {
    this.busy = 'closing'
    session.close(() => {
      const stats: SwarmStats = session.stats
      this.totals.downloadedBytes += stats.downloadedBytes
      this.totals.uploadedBytes += stats.uploadedBytes
      this.closedHave = session.inspect().have
      this.closedComplete = session.isComplete
      this.session = undefined
      this.busy = undefined
      this.host.connectionsChanged()
      this.drive()
    })
  }

  private onSessionEvent(event: SessionEvent): void {
    if (PLUMBING.has(event.type)) return
    const { infoHash } = this
    this.host.emit({ type: 'torrent_event', infoHash, event })
    switch (event.type) {
      case 'tracker':
        this.trackerMessages.set(event.url, event.message)
        break
      case 'checking':
        this.report()
        break
      case 'checkpointed':
        this.host.emit({ type: 'torrent_checkpointed', infoHash, pieces: event.durablePieces })
        break
      case 'download_completed':
        this.report()
        this.host.emit({ type: 'torrent_completed', infoHash })
        break
      case 'fatal':
        // Storage cannot go on: stop the torrent (its resume data keeps what was verified).
        this.error = { code: event.code, message: event.message }
        this.host.defer(() => this.drive())
        break
      default:
        break
    }
  }
}

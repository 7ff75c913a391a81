import type { Address } from '../../src/core/address.js'
import type { Callback, Env } from '../../src/core/env.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'
import { OperationalError } from '../../src/core/errors.js'
import { err, ok } from '../../src/core/result.js'
import { NodeHashing } from '../../src/drivers/node/hashing.js'
import { MetricsRegistry, type MetricsSnapshot } from '../../src/drivers/node/metrics.js'
import type {
  AddTorrentOptions,
  DhtLookupRecord,
  DhtStored,
  DhtStatus,
  PeerApi,
  PeerDhtConfig,
  PeerEvent,
  PeerPlugin,
  PeerPluginFactory,
  TorrentDetail,
  TorrentStatus,
} from '../../src/peer/types.js'
import {
  buildInfoDict,
  buildTorrent,
  parseMagnet,
  parseMetainfo,
  PIECE_HASH_BYTES,
} from '../../src/protocols/bittorrent/metainfo/index.js'

/**
 * An in-memory PeerApi for testing the daemon's HTTP layer (routing, validation, auth, status
 * codes, persistence) without a network: torrents are records that change state when asked.
 * It does no BitTorrent; the real Peer is tested in src/peer.
 */
export class MemoryPeer implements PeerApi {
  listenAddress: Address = { host: '127.0.0.1', port: 6881 }
  /** Every setDht call, in order. */
  readonly dhtChanges: (PeerDhtConfig | false)[] = []
  readonly torrents = new Map<string, TorrentDetail>()
  /** Every add call, in order (restore tests read what came back and how). */
  readonly adds: AddTorrentOptions[] = []
  stopped = false
  /** The double keeps statuses, not parsed torrents: the API never serialises a Metainfo. */
  metainfo(): undefined {
    return undefined
  }
  dht: DhtStatus | undefined = {
    address: '127.0.0.1:6881',
    id: 'ab'.repeat(20),
    nodes: 12,
    lookups: 3,
    lookupsInFlight: 0,
    peersStored: 4,
    itemsStored: 1,
  }
  private readonly listeners = new Set<(event: PeerEvent) => void>()
  private upload = 0
  private download = 0
  private connections = 200
  private readonly hashing = new NodeHashing()

  add(options: AddTorrentOptions, done: Callback<TorrentStatus>): void {
    this.adds.push(options)
    const detail = this.describe(options)
    if (detail === undefined) {
      return later(() => done(err(new OperationalError('malformed', 'not a torrent'))))
    }
    this.torrents.set(detail.infoHash, detail)
    later(() => {
      this.emit({ type: 'torrent_added', infoHash: detail.infoHash })
      done(ok(detail))
    })
  }

  remove(id: string, _options: { deleteData: boolean }, done: Callback<void>): void {
    if (!this.torrents.delete(id)) return later(() => done(err(notFound(id))))
    later(() => {
      this.emit({ type: 'torrent_removed', infoHash: id })
      done(ok(undefined))
    })
  }

  pause(id: string, done: Callback<TorrentStatus>): void {
    this.setState(id, 'paused', done)
  }

  resume(id: string, done: Callback<TorrentStatus>): void {
    const t = this.torrents.get(id)
    this.setState(id, t !== undefined && t.length === 0 ? 'fetching_metadata' : 'downloading', done)
  }

  setFilePriorities(id: string, priorities: readonly number[], done: Callback<void>): void {
    const t = this.torrents.get(id)
    if (t === undefined) return later(() => done(err(notFound(id))))
    this.torrents.set(id, {
      ...t,
      files: t.files.map((file, index) => ({ ...file, priority: priorities[index] ?? 4 })),
    })
    later(() => done(ok(undefined)))
  }

  list(): readonly TorrentStatus[] {
    return [...this.torrents.values()]
  }

  torrent(id: string): TorrentDetail | undefined {
    return this.torrents.get(id)
  }

  /** No DHT runs in memory. */
  dhtBuckets(): undefined {
    return undefined
  }

  /** The DHT's finished operations as the tests set them (newest first, as the peer gives them). */
  lookups: readonly DhtLookupRecord[] | undefined = undefined

  dhtLookups(): readonly DhtLookupRecord[] | undefined {
    return this.lookups
  }

  /** What the DHT holds for others, as the tests set it. */
  stored: DhtStored | undefined = undefined

  dhtStored(): DhtStored | undefined {
    return this.stored
  }

  /** No swarm runs in memory: the piece and peer routes answer as for a paused torrent. */
  swarmView(): undefined {
    return undefined
  }

  setLimits(limits: {
    uploadRateLimit?: number
    downloadRateLimit?: number
    connectionsMax?: number
  }): void {
    this.upload = limits.uploadRateLimit ?? this.upload
    this.download = limits.downloadRateLimit ?? this.download
    this.connections = limits.connectionsMax ?? this.connections
  }

  limits() {
    return {
      uploadRateLimit: this.upload,
      downloadRateLimit: this.download,
      connectionsMax: this.connections,
    }
  }

  dhtNode(): undefined {
    return undefined
  }

  setListenPort(port: number, done: Callback<Address>): void {
    if (port === 1) return later(() => done(err(new OperationalError('address_in_use', 'in use'))))
    this.listenAddress = { host: this.listenAddress.host, port: port === 0 ? 40000 : port }
    later(() => done(ok(this.listenAddress)))
  }

  setDht(dht: PeerDhtConfig | false, done: Callback<void>): void {
    this.dhtChanges.push(dht)
    this.dht =
      dht === false
        ? undefined
        : {
            address: `127.0.0.1:${dht.port}`,
            id: 'cd'.repeat(20),
            nodes: 0,
            lookups: 0,
            lookupsInFlight: 0,
            peersStored: 0,
            itemsStored: 0,
          }
    later(() => done(ok(undefined)))
  }

  dhtStatus(): DhtStatus | undefined {
    return this.dht
  }

  /** The Env plug-in factories are given, as the real peer gives its own (a test may swap it). */
  pluginEnv: Env | undefined

  use(plugin: PeerPlugin | PeerPluginFactory, done: Callback<void>): void {
    this.materialize(plugin)
    later(() => done(ok(undefined)))
  }

  /** The plug-in itself: a factory is called with `pluginEnv`. */
  protected materialize(plugin: PeerPlugin | PeerPluginFactory): PeerPlugin {
    if (typeof plugin !== 'function') return plugin
    this.pluginEnv ??= createNodeEnv({ loopbackOnly: true })
    return plugin(this.pluginEnv)
  }

  plugins(): readonly {
    readonly name: string
    readonly status: Readonly<Record<string, unknown>>
  }[] {
    return []
  }

  /** The double's own registry: tests count into it and read it back through /metrics. */
  readonly registry = new MetricsRegistry()

  metrics(): MetricsSnapshot {
    return this.registry.snapshot()
  }

  onEvent(listener: (event: PeerEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  stop(done: Callback<void>): void {
    this.stopped = true
    later(() => done(ok(undefined)))
  }

  emit(event: PeerEvent): void {
    for (const listener of [...this.listeners]) listener(event)
  }

  /** Changes a torrent's counters as a download would. */
  progress(id: string, change: Partial<TorrentDetail>): void {
    const t = this.torrents.get(id)
    if (t !== undefined) this.torrents.set(id, { ...t, ...change })
  }

  get listenerCount(): number {
    return this.listeners.size
  }

  private setState(
    id: string,
    state: 'paused' | 'downloading' | 'fetching_metadata',
    done: Callback<TorrentStatus>,
  ): void {
    const t = this.torrents.get(id)
    if (t === undefined) return later(() => done(err(notFound(id))))
    const next = { ...t, state }
    this.torrents.set(id, next)
    later(() => {
      this.emit({ type: 'torrent_state', infoHash: id, state })
      done(ok(next))
    })
  }

  private describe(options: AddTorrentOptions): TorrentDetail | undefined {
    const common = {
      saveDir: options.saveDir,
      state: options.paused === true ? ('paused' as const) : ('downloading' as const),
      verifiedBytes: 0,
      piecesVerified: 0,
      downloadedBytes: 0,
      uploadedBytes: 0,
      downloadRate: 0,
      uploadRate: 0,
      peers: 0,
      complete: false,
      peerList: [],
      trackers: [],
      webSeeds: [],
    }
    if (options.source.kind === 'magnet') {
      const magnet = parseMagnet(options.source.uri)
      if (!magnet.ok) return undefined
      return {
        ...common,
        state: options.paused === true ? 'paused' : 'fetching_metadata',
        infoHash: magnet.value.infoHashHex,
        name: magnet.value.displayName ?? magnet.value.infoHashHex,
        length: 0,
        pieces: 0,
        pieceLength: 0,
        files: [],
        trackers: magnet.value.trackers.map((url) => ({ url, tier: 0 })),
      }
    }
    const parsed = parseMetainfo(options.source.bytes, this.hashing)
    if (!parsed.ok) return undefined
    const m = parsed.value
    return {
      ...common,
      infoHash: m.infoHashHex,
      name: m.name,
      length: m.totalLength,
      pieces: m.pieceCount,
      pieceLength: m.pieceLength,
      files: m.files.map((file, index) => ({
        index,
        path: file.path.join('/'),
        length: file.length,
        priority: options.filePriorities?.[index] ?? 4,
        verifiedBytes: 0,
      })),
    }
  }
}

const later = (fn: () => void): void => {
  setImmediate(fn)
}

const notFound = (id: string) => new OperationalError('not_found', `no torrent ${id}`)

/** A small valid .torrent (the piece hashes are zeros: nothing here checks data). */
export function sampleTorrent(
  name: string,
  files = [{ path: ['a.txt'], length: 1000 }],
): Uint8Array {
  const total = files.reduce((sum, file) => sum + file.length, 0)
  const pieceLength = 16384
  const pieces = new Uint8Array(Math.ceil(total / pieceLength) * PIECE_HASH_BYTES)
  return buildTorrent({ info: buildInfoDict({ name, files, pieceLength, pieces }) })
}

export function infoHashOf(torrent: Uint8Array): string {
  const parsed = parseMetainfo(torrent, new NodeHashing())
  if (!parsed.ok) throw new Error(parsed.error.message)
  return parsed.value.infoHashHex
}

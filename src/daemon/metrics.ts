import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { PeerApi, TorrentState } from '../peer/types.js'

const STATES: readonly TorrentState[] = [
  'fetching_metadata',
  'checking',
  'downloading',
  'seeding',
  'paused',
  'error',
]

/**
 * How often the event-loop lag is sampled. prom-client's default (10 ms) arms a libuv timer
 * that wakes the process 100 times a second: most of an idle daemon's CPU (issue 12 asks for
 * under 2 % of a core). Once a second still shows a stalled loop on every scrape.
 */
export const EVENT_LOOP_SAMPLE_MS = 1000

/**
 * The daemon's Prometheus metrics (`GET /metrics`), one Registry per daemon. Gauges read the
 * peer when scraped; byte and lookup totals are counters fed with the growth seen between
 * scrapes, so that removing a torrent does not make a total go down (Prometheus reads a drop
 * as a counter reset).
 */
export class DaemonMetrics {
  readonly registry = new Registry()
  private readonly errors: Counter<'kind'>
  private readonly lastBytes = new Map<string, { down: number; up: number }>()
  private lastLookups = 0

  constructor(private readonly peer: PeerApi) {
    const registers = [this.registry]
    collectDefaultMetrics({
      register: this.registry,
      prefix: 'plexus_',
      eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
    })
    new Gauge({
      name: 'plexus_download_rate_bytes',
      help: 'Download rate over every torrent, bytes per second',
      registers,
      collect() {
        this.set(sum(peer, (t) => t.downloadRate))
      },
    })
    new Gauge({
      name: 'plexus_upload_rate_bytes',
      help: 'Upload rate over every torrent, bytes per second',
      registers,
      collect() {
        this.set(sum(peer, (t) => t.uploadRate))
      },
    })
    const downloaded: Counter = new Counter({
      name: 'plexus_downloaded_bytes_total',
      help: 'Payload bytes downloaded since the daemon started',
      registers,
      // Both totals are updated here, by the first of them to be collected.
      collect: (): void => this.collectBytes(downloaded, uploaded),
    })
    const uploaded: Counter = new Counter({
      name: 'plexus_uploaded_bytes_total',
      help: 'Payload bytes uploaded since the daemon started',
      registers,
    })
    new Gauge({
      name: 'plexus_peers',
      help: 'Connected peers over every torrent',
      registers,
      collect() {
        this.set(sum(peer, (t) => t.peers))
      },
    })
    new Gauge({
      name: 'plexus_torrents',
      help: 'Torrents by state',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = new Map<string, number>(STATES.map((state) => [state, 0]))
        for (const t of peer.list()) counts.set(t.state, (counts.get(t.state) ?? 0) + 1)
        for (const [state, count] of counts) this.set({ state }, count)
      },
    })
    new Gauge({
      name: 'plexus_dht_nodes',
      help: 'Nodes in the DHT routing table (0 when the DHT is off)',
      registers,
      collect() {
        this.set(peer.dhtStatus()?.nodes ?? 0)
      },
    })
    const lookups: Counter = new Counter({
      name: 'plexus_dht_lookups_total',
      help: 'DHT lookups started since the daemon started',
      registers,
      collect: (): void => {
        const now = peer.dhtStatus()?.lookups ?? this.lastLookups
        if (now > this.lastLookups) lookups.inc(now - this.lastLookups)
        this.lastLookups = now
      },
    })
    // The peer's own registry (listener, connections, messages, DHT): one labelled series
    // per name, since its names (`tx.piece`, `peer.listener.routed`) are not Prometheus names.
    const peerCounters: Counter<'name'> = new Counter({
      name: 'plexus_peer_events_total',
      help: "The peer's own counters (its metrics registry), by name",
      labelNames: ['name'],
      registers,
      collect: (): void => {
        peerCounters.reset()
        for (const [name, value] of Object.entries(peer.metrics().counters)) {
          peerCounters.inc({ name }, value)
        }
      },
    })
    new Gauge({
      name: 'plexus_peer_observations',
      help: "The peer's own histograms (its metrics registry): count, sum, p50, p90, p99, max by name",
      labelNames: ['name', 'stat'],
      registers,
      collect() {
        this.reset()
        for (const [name, h] of Object.entries(peer.metrics().histograms)) {
          for (const stat of ['count', 'sum', 'p50', 'p90', 'p99', 'max'] as const) {
            this.set({ name, stat }, h[stat])
          }
        }
      },
    })
    this.errors = new Counter({
      name: 'plexus_errors_total',
      help: 'Errors: a torrent stopped by one (torrent), a fatal node error (fatal), an API request that failed on the daemon side (api)',
      labelNames: ['kind'],
      registers,
    })
    for (const kind of ['torrent', 'fatal', 'api']) this.errors.inc({ kind }, 0)
    peer.onEvent((event) => {
      if (event.type === 'torrent_state' && event.state === 'error') this.countError('torrent')
      if (event.type === 'fatal') this.countError('fatal')
    })
  }

  countError(kind: 'torrent' | 'fatal' | 'api'): void {
    this.errors.inc({ kind })
  }

  get contentType(): string {
    return this.registry.contentType
  }

  text(): Promise<string> {
    return this.registry.metrics()
  }

  private collectBytes(downloaded: Counter, uploaded: Counter): void {
    const seen = new Set<string>()
    for (const t of this.peer.list()) {
      seen.add(t.infoHash)
      const last = this.lastBytes.get(t.infoHash) ?? { down: 0, up: 0 }
      if (t.downloadedBytes > last.down) downloaded.inc(t.downloadedBytes - last.down)
      if (t.uploadedBytes > last.up) uploaded.inc(t.uploadedBytes - last.up)
      this.lastBytes.set(t.infoHash, { down: t.downloadedBytes, up: t.uploadedBytes })
    }
    for (const infoHash of this.lastBytes.keys()) {
      if (!seen.has(infoHash)) this.lastBytes.delete(infoHash)
    }
  }
}

function sum(peer: PeerApi, pick: (t: ReturnType<PeerApi['list']>[number]) => number): number {
  let total = 0
  for (const t of peer.list()) total += pick(t)
  return total
}

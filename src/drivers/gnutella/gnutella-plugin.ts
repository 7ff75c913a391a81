/**
 * Gnutella as a plug-in of a `Peer` (the `PeerPlugin` contract of src/peer/types.ts: name,
 * start, stop, status): the servent, its shared folder and transfer server, its host cache,
 * and the searches and downloads it runs, on the clock, net and randomness of the Env it is
 * given. `plexus gnutella` and `plexus daemon` both run a servent through this class only.
 */
import { addressKey, type Address } from '../../core/address.js'
import type { Callback, Env, TimerHandle } from '../../core/env.js'
import { OperationalError } from '../../core/errors.js'
import { err, ok } from '../../core/result.js'
import { after, ms } from '../../core/time.js'
import type { GnutellaEvent, Role } from '../../protocols/gnutella/index.js'
import { DEFAULT_DEMOTION } from '../../protocols/ultrapeer/demotion.js'
import type { ElectionThresholds } from '../../protocols/ultrapeer/election.js'
import type { MultiSourceResult } from './multi-source-download.js'
import type { PushConnection } from './push-transfer.js'
import { openFirewalled } from './push-proxy-client.js'
import { DownloadBook, type DownloadRecord } from './download-book.js'
import { startGnutellaHost, type GnutellaHost } from './gnutella-host.js'
import { RoleMeter } from './role-election.js'
import { SearchBook, type FileHit, type SearchRecord } from './search-book.js'

export type UltrapeerMode = 'auto' | 'yes' | 'no'

export interface GnutellaPluginConfig {
  /** Where the servent listens (port 0 picks one); downloads are served on the same port. */
  readonly bind: Address
  /** The IPv4 address put in Pongs and QueryHits; default the bound host. */
  readonly advertisedHost?: string
  /** Servents to connect to at start. */
  readonly hosts: readonly Address[]
  readonly ultrapeer: UltrapeerMode
  /** The folder to share (hashed at start), or none. */
  readonly shareDir?: string
  /** Where downloads go when none is named. */
  readonly downloadDir?: string
  /** Read at start, saved at stop; none when undefined. */
  readonly hostCacheFile?: string
  readonly log?: (line: string) => void
  /** We cannot accept connections: our QueryHits carry the push flag (downloads come by GIV). */
  readonly firewalled?: boolean
  /**
   * `auto` only: how often the measurements are sampled and the election run (default 60 s),
   * and its thresholds (default `DEFAULT_ELECTION`: 1 h up, 10/20 KB/s, reachable).
   */
  readonly election?: { readonly intervalMs?: number; readonly thresholds?: ElectionThresholds }
}

const ELECTION_INTERVAL_MS = 60_000
/** How long a Push waits for the firewalled servent to connect back. */
const PUSH_WAIT_MS = 30_000

export type GnutellaEnv = Pick<Env, 'clock' | 'net' | 'random'>

/**
 * The role a servent starts in. `auto` starts the first node of a network (no hosts to join)
 * as an ultrapeer and a joining node as a leaf; the election (role-election.ts) then promotes
 * a leaf once its measurements qualify it.
 */
export function chooseRole(mode: UltrapeerMode, hosts: readonly Address[]): Role {
  if (mode === 'yes') return 'ultrapeer'
  if (mode === 'no') return 'leaf'
  return hosts.length === 0 ? 'ultrapeer' : 'leaf'
}

/** What `status()` reports (the API's `GET /api/v1/gnutella`). */
export interface GnutellaStatus {
  readonly [key: string]: unknown
  readonly state: 'running' | 'restarting' | 'stopped'
  readonly role: Role
  readonly address: string
  readonly connections: number
  readonly neighbours: readonly { readonly address: string; readonly role: Role }[]
  readonly sharedFiles: number
  readonly sharedBytes: number
  readonly queriesReceived: number
  readonly searches: number
  readonly downloads: number
  readonly uploads: { readonly active: number; readonly queued: number }
}

export class GnutellaPlugin {
  readonly name = 'gnutella'
  private host: GnutellaHost | undefined
  private meter: RoleMeter | undefined
  private electionTimer: TimerHandle | undefined
  /** Set while a promotion restarts the servent. */
  private promoting = false
  private readonly listeners = new Set<(event: GnutellaEvent) => void>()
  private readonly searchBook = new SearchBook()
  private readonly downloadBook: DownloadBook

  constructor(
    private readonly env: GnutellaEnv,
    readonly config: GnutellaPluginConfig,
  ) {
    this.downloadBook = new DownloadBook(config.log === undefined ? {} : { log: config.log })
  }

  start(done: Callback<void>): void {
    if (this.host !== undefined)
      return done(err(new OperationalError('exists', 'the gnutella servent is running')))
    this.launch(chooseRole(this.config.ultrapeer, this.config.hosts), this.config.bind, (r) => {
      if (r.ok && this.config.ultrapeer === 'auto') {
        this.meter = new RoleMeter(this.env.clock.now(), this.config.election?.thresholds)
        this.armElection()
      }
      done(r)
    })
  }

  /** The role the servent plays now. */
  get role(): Role {
    return this.running().node.servent.role
  }

  private launch(role: Role, bind: Address, done: Callback<void>): void {
    const c = this.config
    startGnutellaHost({
      clock: this.env.clock,
      net: this.env.net,
      random: this.env.random,
      bind,
      hosts: c.hosts,
      config: {
        role,
        leafCandidatesExtra: 0,
        firewalled: c.firewalled === true,
        // Only an elected role is given back automatically: `--ultrapeer yes` stays one.
        demotion: c.ultrapeer === 'auto' ? DEFAULT_DEMOTION : undefined,
      },
      ...(c.advertisedHost === undefined ? {} : { advertisedHost: c.advertisedHost }),
      ...(c.shareDir === undefined ? {} : { shareDir: c.shareDir }),
      ...(c.hostCacheFile === undefined ? {} : { hostCacheFile: c.hostCacheFile }),
      ...(c.log === undefined ? {} : { log: c.log }),
    }).then(
      (host) => {
        this.host = host
        host.node.onEvent((event) => {
          if (event.type === 'role_changed') {
            this.meter?.demoted(this.env.clock.now())
            this.config.log?.(`gnutella: demoted to leaf (few leaves, room nearby)`)
          }
          this.searchBook.record(event)
          for (const listener of [...this.listeners]) listener(event)
        })
        done(ok(undefined))
      },
      (error: Error) => done(err(new OperationalError('io', `gnutella: ${error.message}`))),
    )
  }

  private armElection(): void {
    const every = this.config.election?.intervalMs ?? ELECTION_INTERVAL_MS
    this.electionTimer = this.env.clock.setTimer(after(this.env.clock.now(), ms(every)), () => {
      this.electionTimer = undefined
      this.runElection()
      if (this.host !== undefined) this.armElection()
    })
  }

  /**
   * A leaf the election qualifies becomes an ultrapeer: the servent restarts in that role on
   * the same port (its host cache carries what it knew). Demotion happens inside the servent
   * (src/protocols/ultrapeer/demotion.ts); the election then holds it a leaf for a while.
   */
  private runElection(): void {
    const host = this.host
    if (host === undefined || this.meter === undefined || this.promoting) return
    const election = this.meter.sample(this.env.clock.now(), host.node.servent)
    if (host.node.servent.role !== 'leaf' || election.role !== 'ultrapeer') return
    this.config.log?.(`gnutella: promoted to ultrapeer (${election.reason})`)
    this.promoting = true
    const bind = { host: this.config.bind.host, port: host.node.address.port }
    this.host = undefined
    host.close().then(
      () =>
        this.launch('ultrapeer', bind, (r) => {
          this.promoting = false
          this.meter?.restarted()
          if (!r.ok) this.config.log?.(`gnutella: promotion failed: ${r.error.message}`)
        }),
      (error: Error) => {
        this.promoting = false
        this.config.log?.(`gnutella: promotion failed: ${error.message}`)
      },
    )
  }

  stop(done: Callback<void>): void {
    if (this.electionTimer !== undefined) this.env.clock.clearTimer(this.electionTimer)
    this.electionTimer = undefined
    this.meter = undefined
    const host = this.host
    if (host === undefined) return done(ok(undefined))
    this.host = undefined
    host.close().then(
      () => done(ok(undefined)),
      (error: Error) => done(err(new OperationalError('io', error.message))),
    )
  }

  /**
   * Never throws (the peer lists every plug-in's status): while a promotion restarts the
   * servent, or after `stop`, it reports `state: "restarting"` / `"stopped"` and no neighbours.
   */
  status(): GnutellaStatus {
    const host = this.host
    if (host === undefined) {
      return {
        state: this.promoting ? 'restarting' : 'stopped',
        role: this.promoting ? 'ultrapeer' : chooseRole(this.config.ultrapeer, this.config.hosts),
        address: '',
        connections: 0,
        neighbours: [],
        sharedFiles: 0,
        sharedBytes: 0,
        queriesReceived: 0,
        searches: this.searchBook.size,
        downloads: this.downloadBook.active,
        uploads: { active: 0, queued: 0 },
      }
    }
    const servent = host.node.servent
    const open = servent.open()
    const files = [...(host.folder?.byIndex.values() ?? [])]
    return {
      state: 'running',
      role: servent.role,
      address: addressKey(host.node.address),
      connections: open.length,
      neighbours: open.map((c) => ({ address: addressKey(c.remote), role: c.role })),
      sharedFiles: files.length,
      sharedBytes: files.reduce((sum, f) => sum + f.length, 0),
      queriesReceived: servent.inspect().received['query'] ?? 0,
      searches: this.searchBook.size,
      downloads: this.downloadBook.active,
      uploads: host.http?.uploads() ?? { active: 0, queued: 0 },
    }
  }

  /** The address the servent listens on and advertises. */
  get address(): Address {
    return this.running().node.address
  }

  /** The shared folder's files (index, name, length, URN). */
  sharedFiles(): { path: string; length: number; urn: string }[] {
    return [...(this.running().folder?.byIndex.values() ?? [])].map((f) => ({
      path: f.fileName,
      length: f.length,
      urn: f.urn,
    }))
  }

  connect(to: Address): void {
    this.running().node.connect(to)
  }

  /** Starts a search for `words`; its hits collect under the returned record's id. */
  search(words: string): SearchRecord {
    const id = this.running().node.search(words)
    return this.searchBook.started(id, words, Date.now())
  }

  /** The searches kept (the most recent ones), oldest first. */
  searches(): SearchRecord[] {
    return this.searchBook.list()
  }

  searchResults(id: string): SearchRecord | undefined {
    return this.searchBook.get(id)
  }

  /** Downloads `file` from all its sources into `outDir` (default the download folder). */
  download(
    file: FileHit,
    outDir?: string,
  ): { record: DownloadRecord; finished: Promise<MultiSourceResult | undefined> } {
    const dir = outDir ?? this.config.downloadDir
    if (dir === undefined)
      throw new OperationalError('invalid', 'no download folder configured for gnutella')
    return this.downloadBook.start(file, dir, (source) => this.openPush(source))
  }

  /**
   * A connection from a firewalled source: a Push through one of its push proxies (HTTP), or
   * else along its QueryHit's reverse path, then the GIV connection it opens to us (the
   * multi-source download sends its range requests on it).
   */
  private openPush(source: FileHit['firewalled'][number]): Promise<PushConnection> {
    return openFirewalled(this.running(), source, PUSH_WAIT_MS, (line) => this.config.log?.(line))
  }

  downloads(): readonly DownloadRecord[] {
    return this.downloadBook.list()
  }

  onEvent(listener: (event: GnutellaEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private running(): GnutellaHost {
    if (this.host === undefined) throw new OperationalError('closed', 'gnutella is not running')
    return this.host
  }
}

/**
 * Web seeds (BEP 19) for one running torrent: fetches the blocks the swarm core hands each
 * web seed over the Env's HttpClient with Range requests, and hands the bytes back to the
 * core, which writes and verifies them as it does peers' blocks. The policy is sans-IO in
 * `protocols/bittorrent/webseed` (URLs, runs, answers, back-off); this file only sequences
 * requests and timers. Works in the simulator too: everything goes through the Env.
 */
import type { Env, HttpExchange, TimerHandle } from '../../core/env.js'
import { after, ms, type Instant } from '../../core/time.js'
import { RateMeter } from '../../protocols/bittorrent/choker/index.js'
import type { Metainfo } from '../../protocols/bittorrent/metainfo/index.js'
import { BLOCK_LENGTH_DEFAULT, type Block } from '../../protocols/bittorrent/picker/index.js'
import type { SwarmCore } from '../../protocols/bittorrent/swarm/index.js'
import {
  blocksPerFetch,
  classifyAnswer,
  DEFAULT_WEB_SEED_CONFIG,
  isFetchableWebSeed,
  partsOf,
  rangeHeaderOf,
  runsOf,
  webSeedFileUrl,
  webSeedsWanted,
  WebSeedState,
  type Run,
  type RunPart,
  type WebSeedConfig,
  type WebSeedPhase,
} from '../../protocols/bittorrent/webseed/index.js'

/** One web seed as `plexus get` and the daemon show it (peer stats' key names). */
export interface WebSeedStatus {
  readonly url: string
  readonly phase: WebSeedPhase
  /** Payload bytes it delivered that were kept. */
  readonly downloadedBytes: number
  readonly downloadRate: number
  readonly fetchesInFlight: number
  /** Why it is backing off, failed or banned. */
  readonly error?: string
}

export type WebSeedEvent =
  /** With every swarm `stats` event, when the torrent has web seeds. */
  | { readonly type: 'web_seeds'; readonly webSeeds: readonly WebSeedStatus[] }
  | { readonly type: 'web_seed_failed'; readonly url: string; readonly reason: string }
  | { readonly type: 'web_seed_banned'; readonly url: string; readonly reason: string }

export interface WebSeedingOptions {
  readonly env: Env
  readonly metainfo: Metainfo
  readonly swarm: SwarmCore
  /** Runs the core's outputs after inputs (`AttachedStream.flush`). */
  readonly flush: () => void
  readonly config?: Partial<WebSeedConfig>
  readonly onEvent?: (event: WebSeedEvent) => void
}

/** How often an idle seed asks the core again for work (new misses, failed pieces). */
const IDLE_POLL = ms(1_000)
/** Error pages may be longer than a small range; they are read up to this. */
const ERROR_BODY_BYTES_MAX = 64 * 1024

interface Seed {
  readonly state: WebSeedState
  readonly id: number
  readonly meter: RateMeter
  readonly exchanges: Set<HttpExchange>
}

export class WebSeeding {
  private readonly seeds: Seed[] = []
  private readonly config: WebSeedConfig
  private timer: TimerHandle | undefined
  private closed = false

  constructor(private readonly options: WebSeedingOptions) {
    this.config = { ...DEFAULT_WEB_SEED_CONFIG, ...options.config }
    const now = this.now()
    const urls = [...new Set(options.metainfo.urlList.filter(isFetchableWebSeed))]
    for (const url of urls) {
      this.seeds.push({
        state: new WebSeedState(url, this.config),
        id: options.swarm.addWebSeed(now),
        meter: new RateMeter(now),
        exchanges: new Set(),
      })
    }
  }

  /** Starts fetching (nothing happens without http(s) URLs in `url-list`). */
  start(): void {
    this.pump()
  }

  statuses(): WebSeedStatus[] {
    const now = this.now()
    return this.seeds.map(({ state, meter }) => ({
      url: state.url,
      phase: state.phase(now),
      downloadedBytes: meter.total,
      downloadRate: meter.rate(now),
      fetchesInFlight: state.fetchesInFlight,
      ...(state.lastError === undefined ? {} : { error: state.lastError }),
    }))
  }

  /** A piece failed its hash check: the core may have banned a seed that contributed. */
  pieceFailed(): void {
    for (const seed of this.seeds) {
      if (!this.options.swarm.isWebSeedBanned(seed.id) || seed.state.phase(this.now()) === 'banned')
        continue
      const reason = 'a piece it sent failed its hash check'
      seed.state.ban(reason)
      this.abortAll(seed)
      this.options.onEvent?.({ type: 'web_seed_banned', url: seed.state.url, reason })
    }
  }

  /** Aborts every request; the core forgets the seeds. */
  close(): void {
    if (this.closed) return
    this.closed = true
    if (this.timer !== undefined) this.options.env.clock.clearTimer(this.timer)
    const now = this.now()
    for (const seed of this.seeds) {
      this.abortAll(seed)
      this.options.swarm.removeWebSeed(now, seed.id)
    }
  }

  private now(): Instant {
    return this.options.env.clock.now()
  }

  /** Starts what fetches the seeds may run, then sets the timer for the next look. */
  private pump(): void {
    if (this.closed) return
    const { swarm } = this.options
    const now = this.now()
    const wanted = !swarm.complete && webSeedsWanted(this.peerRate(now), this.config)
    let wake: Instant | undefined
    for (const seed of this.seeds) {
      const { pieceLength } = this.options.metainfo
      const rate = seed.meter.rate(now)
      const count = blocksPerFetch(rate, pieceLength, BLOCK_LENGTH_DEFAULT, this.config)
      while (wanted && seed.state.canStart(now)) {
        const blocks = swarm.webSeedPick(now, seed.id, count)
        if (blocks.length === 0) break
        seed.state.started(now)
        this.fetch(seed, blocks)
      }
      const phase = seed.state.phase(now)
      // Held back by the download limits: ask again when they afford a block.
      const quota = swarm.webSeedReadyAt()
      const poll = after(now, IDLE_POLL)
      const next =
        phase === 'backing_off'
          ? seed.state.nextTryAt
          : phase === 'ready' && !swarm.complete
            ? quota !== undefined && quota > now && quota < poll
              ? quota
              : poll
            : undefined
      if (next !== undefined && (wake === undefined || next < wake)) wake = next
    }
    this.options.flush()
    this.setTimer(wake)
  }

  /** Bytes per second from peers alone (read only when the idle threshold is set). */
  private peerRate(now: Instant): number {
    if (this.config.idleWhenPeersFasterThan <= 0) return 0
    const ownRate = this.seeds.reduce((sum, seed) => sum + seed.meter.rate(now), 0)
    return this.options.swarm.inspect().stats.downloadRate - ownRate
  }

  private setTimer(at: Instant | undefined): void {
    const { clock } = this.options.env
    if (this.timer !== undefined) clock.clearTimer(this.timer)
    this.timer = at === undefined ? undefined : clock.setTimer(at, () => this.pump())
  }

  /** Fetches the blocks run by run; each run's blocks go to the core once it is whole. */
  private fetch(seed: Seed, blocks: readonly Block[]): void {
    const { metainfo } = this.options
    const runs = runsOf(metainfo, blocks)
    const next = (index: number): void => {
      const run = runs[index]
      if (run === undefined) {
        seed.state.succeeded()
        return this.pump()
      }
      this.fetchRun(seed, run, (outcome) => {
        if (this.closed || outcome === 'abandoned') return
        if (outcome === 'done') return next(index + 1)
        const rest = runs.slice(index).flatMap((r) => r.blocks)
        this.options.swarm.webSeedRelease(this.now(), seed.id, rest)
        this.failed(seed, outcome)
      })
    }
    next(0)
  }

  private failed(seed: Seed, failure: Failure): void {
    const now = this.now()
    const { state } = seed
    if (failure.permanent) {
      state.failedPermanently(failure.reason)
      this.abortAll(seed)
      this.options.swarm.removeWebSeed(now, seed.id)
      this.options.onEvent?.({ type: 'web_seed_failed', url: state.url, reason: failure.reason })
    } else {
      state.failedTransient(now, failure.reason, failure.wait)
    }
    this.pump()
  }

  private fetchRun(seed: Seed, run: Run, done: (outcome: RunOutcome) => void): void {
    const { metainfo, swarm } = this.options
    const bytes = new Uint8Array(run.length)
    const parts = partsOf(metainfo, run)
    const next = (index: number): void => {
      const part = parts[index]
      if (part === undefined) return deliver()
      // Pad files are zeros, already in `bytes`; servers do not have them.
      if (part.pad) return next(index + 1)
      const url = webSeedFileUrl(metainfo, seed.state.url, part.fileIndex)
      this.request(seed, url, part, 0, (got) => {
        if (got instanceof Uint8Array) {
          bytes.set(got, part.at)
          return next(index + 1)
        }
        done(got)
      })
    }
    const deliver = (): void => {
      if (seed.state.phase(this.now()) === 'banned') return done('abandoned')
      const now = this.now()
      for (const block of run.blocks) {
        const at = block.piece * metainfo.pieceLength + block.begin - run.offset
        const view = bytes.subarray(at, at + block.length)
        if (swarm.webSeedBlock(now, seed.id, block.piece, block.begin, view)) {
          seed.meter.add(now, block.length)
        }
      }
      this.options.flush()
      done('done')
    }
    next(0)
  }

  /** One Range request, following redirects; the part's bytes or why not. */
  private request(
    seed: Seed,
    url: string,
    part: RunPart,
    hops: number,
    done: (got: Uint8Array | RunOutcome) => void,
  ): void {
    const { env, metainfo } = this.options
    const fileLength = metainfo.files[part.fileIndex]?.length ?? 0
    const exchange = env.http.request(
      {
        url,
        headers: { range: rangeHeaderOf(part), 'user-agent': 'plexus' },
        timeout: this.config.requestTimeout,
        bodyBytesMax: Math.max(part.length, ERROR_BODY_BYTES_MAX),
        // One connection carries the seed's Range requests one after another, as libtorrent's.
        keepAlive: true,
      },
      (answer) => {
        seed.exchanges.delete(exchange)
        if (this.closed) return done('abandoned')
        if (!answer.ok) {
          const permanent = answer.error.code === 'invalid_url'
          return done({ permanent, reason: answer.error.message })
        }
        const verdict = classifyAnswer(answer.value, part, fileLength)
        switch (verdict.kind) {
          case 'data':
            return done(verdict.bytes)
          case 'redirect': {
            if (hops >= this.config.redirectsMax) {
              return done({ permanent: true, reason: `more than ${hops} redirects` })
            }
            let target: string
            try {
              target = new URL(verdict.location, url).toString()
            } catch {
              return done({ permanent: true, reason: `bad redirect to ${verdict.location}` })
            }
            return this.request(seed, target, part, hops + 1, done)
          }
          case 'retry':
            return done({
              permanent: false,
              reason: verdict.reason,
              ...(verdict.after === undefined ? {} : { wait: verdict.after }),
            })
          case 'give_up':
            return done({ permanent: true, reason: `${url}: ${verdict.reason}` })
        }
      },
    )
    seed.exchanges.add(exchange)
  }

  private abortAll(seed: Seed): void {
    for (const exchange of seed.exchanges) exchange.abort()
    // An aborted exchange never calls back: its fetch ends here.
    for (let i = seed.exchanges.size; i > 0; i--) seed.state.abandoned()
    seed.exchanges.clear()
  }
}

interface Failure {
  readonly permanent: boolean
  readonly reason: string
  readonly wait?: ReturnType<typeof ms>
}

type RunOutcome = 'done' | 'abandoned' | Failure

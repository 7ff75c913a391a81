import type { Address } from '../../core/address.js'
import { utf8 } from '../../core/bytes.js'
import type { Callback, Env, StreamListener } from '../../core/env.js'
import type { OperationalError } from '../../core/errors.js'
import { ok, type Result } from '../../core/result.js'
import type { Instant } from '../../core/time.js'
import { TrackerCore, type TrackerConfig } from '../../protocols/directory/tracker/index.js'
import { serveHttp, type SimHttpAnswer, type SimHttpRequest } from '../../sim/http/server.js'

export interface SimTracker {
  readonly core: TrackerCore
  /** `http://<host>:<port>/announce`, for the metainfo's `announce`. */
  readonly announceUrl: string
}

/** The tracker's HTTP routes on a simulated host, for a server that also serves other paths. */
export interface SimTrackerRoutes {
  readonly core: TrackerCore
  /** The answer to `/announce` or `/scrape`; undefined for any other path. */
  answer(request: SimHttpRequest): SimHttpAnswer | undefined
}

/**
 * The directory's tracker core (sans-IO) answering `/announce` and `/scrape`. The expiry sweep
 * is driven by a timer re-armed after each request, as the core's contract asks of an
 * HTTP-only driver.
 */
export function simTrackerRoutes(env: Env, config: Partial<TrackerConfig>): SimTrackerRoutes {
  const core = new TrackerCore({ random: env.random.fork('tracker'), hashing: env.hashing, config })
  let armed: Instant | undefined
  const arm = (): void => {
    const next = core.nextTimeout()
    if (next === undefined || next === armed) return
    armed = next
    env.clock.setTimer(next, () => {
      armed = undefined
      core.timeout(env.clock.now())
      arm()
    })
  }
  return {
    core,
    answer(request) {
      const now = env.clock.now()
      const query = request.target.indexOf('?')
      const path = query < 0 ? request.target : request.target.slice(0, query)
      const raw = query < 0 ? '' : request.target.slice(query + 1)
      const handle =
        path === '/announce'
          ? core.handleHttpAnnounce.bind(core)
          : path === '/scrape'
            ? core.handleHttpScrape.bind(core)
            : undefined
      if (handle === undefined) return undefined
      if (!core.admit(request.remote, now)) return { status: 429 }
      const body = handle(raw, request.remote, now)
      arm()
      return { status: 200, headers: { 'content-type': 'text/plain' }, body }
    },
  }
}

/**
 * The tracker alone over HTTP on a simulated host: `/announce` and `/scrape`, everything else
 * 404.
 */
export function startSimTracker(
  env: Env,
  local: Address,
  /** The host name or address announce URLs name (the world's name table may map it). */
  urlHost: string,
  config: Partial<TrackerConfig>,
  done: Callback<SimTracker>,
): void {
  const routes = simTrackerRoutes(env, config)
  serveHttp(
    env.net,
    local,
    (request, respond) =>
      respond(routes.answer(request) ?? { status: 404, body: utf8('no such path') }),
    (listening: Result<StreamListener, OperationalError>) => {
      if (!listening.ok) return done(listening)
      const port = listening.value.local.port
      done(ok({ core: routes.core, announceUrl: `http://${urlHost}:${port}/announce` }))
    },
  )
}

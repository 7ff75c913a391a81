/**
 * The directory server on a simulated host: the production index (`IndexDb`: SQLite with its
 * FTS5 full-text index, an in-memory database) and the production tracker core, behind the
 * same HTTP paths `plexus directory` serves, over the simulator's HTTP server. Fastify is not
 * used (it runs on Node's sockets and event loop); the handlers below do what the directory's
 * routes do with the same calls: publish parses the uploaded .torrent with `parseMetainfo`,
 * builds the record with `recordOf` and stores it with `IndexDb.publish`; search is
 * `IndexDb.search`; `/announce` and `/scrape` are the tracker core (sim-tracker.ts). Time is
 * the simulator's clock (the index's `added` column holds virtual milliseconds).
 */
import type { Address } from '../../core/address.js'
import { utf8 } from '../../core/bytes.js'
import type { Callback, Env, StreamListener } from '../../core/env.js'
import { ok } from '../../core/result.js'
import { IndexDb, SEARCH_LIMIT_DEFAULT } from '../../drivers/directory/index-db.js'
import { PUBLISH_FILES_MAX, PUBLISH_RATE } from '../../drivers/directory/publish-limits.js'
import { recordOf } from '../../drivers/directory/record.js'
import { servedTemplate } from '../../drivers/directory/served-torrent.js'
import { parseMetainfo } from '../../protocols/bittorrent/metainfo/index.js'
import { RateLimiter } from '../../protocols/directory/tracker/index.js'
import { serveHttp, type SimHttpAnswer, type SimHttpRequest } from '../../sim/http/server.js'
import { simTrackerRoutes } from '../tracker/sim-tracker.js'

/** Requests the server answered, by kind: the load on the one node every query reaches. */
export interface DirectoryLoad {
  publishes: number
  searches: number
  announces: number
  other: number
}

export interface SimDirectory {
  readonly db: IndexDb
  readonly load: DirectoryLoad
  /** `http://<host>:<port>`, the base of `/api/torrents` and `/announce`. */
  readonly url: string
}

const json = (status: number, value: unknown): SimHttpAnswer => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: utf8(JSON.stringify(value)),
})

/** A search's answer as the client reads it: the API's shape, the fields a client uses. */
export interface SearchAnswer {
  readonly results: readonly { readonly infoHash: string; readonly name: string }[]
  readonly hasMore: boolean
}

export function startSimDirectory(env: Env, local: Address, done: Callback<SimDirectory>): void {
  const db = new IndexDb(':memory:')
  const tracker = simTrackerRoutes(env, {})
  const publishLimiter = new RateLimiter(PUBLISH_RATE)
  const load: DirectoryLoad = { publishes: 0, searches: 0, announces: 0, other: 0 }

  const publish = (request: SimHttpRequest): SimHttpAnswer => {
    load.publishes++
    if (!publishLimiter.admit(request.remote, env.clock.now())) {
      return json(429, { error: 'too many publishes from this address; slow down' })
    }
    const parsed = parseMetainfo(request.body, env.hashing, { fileCountMax: 2 * PUBLISH_FILES_MAX })
    if (!parsed.ok) return json(400, { error: `not a valid .torrent: ${parsed.error.message}` })
    const metainfo = parsed.value
    if (metainfo.files.filter((file) => !file.pad).length > PUBLISH_FILES_MAX) {
      return json(422, { error: 'too many files' })
    }
    const record = {
      ...recordOf(metainfo, request.body, request.headers['x-uploader'] ?? '', env.clock.now()),
      served: servedTemplate(metainfo),
    }
    const created = db.publish(record, tracker.core.countsOf(metainfo.infoHash))
    return json(created ? 201 : 200, { created, torrent: { infoHash: record.infoHash } })
  }

  const search = (query: URLSearchParams): SimHttpAnswer => {
    load.searches++
    const limit = Number(query.get('limit') ?? SEARCH_LIMIT_DEFAULT)
    const found = db.search(query.get('q') ?? '', {
      limit: Number.isInteger(limit) ? limit : SEARCH_LIMIT_DEFAULT,
    })
    return json(200, found)
  }

  serveHttp(
    env.net,
    local,
    (request, respond) => {
      const at = request.target.indexOf('?')
      const path = at < 0 ? request.target : request.target.slice(0, at)
      if (path === '/api/torrents' && request.method === 'POST') return respond(publish(request))
      if (path === '/api/torrents' && request.method === 'GET') {
        return respond(search(new URLSearchParams(at < 0 ? '' : request.target.slice(at + 1))))
      }
      const tracked = tracker.answer(request)
      if (tracked !== undefined) {
        if (path === '/announce') load.announces++
        else load.other++
        return respond(tracked)
      }
      load.other++
      respond(json(404, { error: 'no such endpoint' }))
    },
    (listening) => {
      if (!listening.ok) return done(listening)
      const bound: StreamListener = listening.value
      done(ok({ db, load, url: `http://${bound.local.host}:${bound.local.port}` }))
    },
  )
}

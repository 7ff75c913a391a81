import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { createHttpApp } from '../node/http-server.js'
import { apiRoutes, refuseJson } from './api.js'
import type { DirectoryContext } from './context.js'
import { errorPage } from './pages.js'
import { trackerRoutes } from './tracker-routes.js'
import { pageRoutes, sendHtml } from './web.js'

/**
 * Every answer the directory sends carries the same security headers: a CSP that allows no
 * script, no plugin, no frame and no remote anything (pages are plain server-rendered HTML with
 * one inline style block and an inline SVG), and nosniff so a .torrent or JSON body is never
 * sniffed into HTML.
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const

const TORRENT_PAGE = /^\/torrent\/[^/]+$/
const TORRENT_FILE = /^\/torrents\/[^/]+\.torrent$/
const TORRENT_API = /^\/api\/torrents\/[^/]+$/

/**
 * The directory's routes on plexus's HTTP stack: the tracker, the JSON API, the .torrent
 * downloads and the pages. Every request gets an answer (404/405/400/413/414/500 included) and
 * nothing a client sends can throw out: an unexpected error is a 500 and a log line.
 */
export function directoryApp(
  ctx: DirectoryContext,
  onError: (error: unknown) => void,
): FastifyInstance {
  const app = createHttpApp({
    headers: SECURITY_HEADERS,
    refuse: (request, reply, status, message) =>
      request.routeOptions.config.html === true
        ? sendHtml(reply, status, errorPage(status, message))
        : refuseJson(reply, status, message),
    unmatched,
    onError,
  })
  trackerRoutes(app, ctx.tracker, ctx.clock, { limitSources: true })
  apiRoutes(app, ctx)
  pageRoutes(app, ctx)
  return app
}

/**
 * A request no route took: a wrong method on a known path is 405; a known path whose
 * info-hash the router could not even decode (`/torrent/%ZZ`) is that route's 400; anything
 * else is a 404, JSON under /api/ and a page elsewhere.
 */
function unmatched(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const target = request.url
  if (!target.startsWith('/')) return refuseJson(reply, 400, 'bad request target')
  const queryAt = target.indexOf('?')
  const path = queryAt < 0 ? target : target.slice(0, queryAt)
  const reading = request.method === 'GET' || request.method === 'HEAD'
  if (path === '/api/torrents') {
    return refuseJson(reply, 405, 'use GET to search or POST to publish')
  }
  if (!reading) return refuseJson(reply, 405, 'use GET')
  if (TORRENT_API.test(path) || TORRENT_FILE.test(path)) {
    return refuseJson(reply, 400, 'expected a 40-hex-digit info-hash')
  }
  if (TORRENT_PAGE.test(path)) {
    return sendHtml(reply, 400, errorPage(400, 'Expected a 40-hex-digit info-hash.'))
  }
  if (path.startsWith('/api/')) return refuseJson(reply, 404, 'no such endpoint')
  return sendHtml(reply, 404, errorPage(404, 'No such page.'))
}

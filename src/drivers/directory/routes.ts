import type { IncomingMessage, ServerResponse } from 'node:http'
import { encode, dictOf } from '../../core/codec/bencode.js'
import { publishTorrent, searchTorrents, torrentFile, torrentJson } from './api.js'
import type { DirectoryContext } from './context.js'
import { replyBencoded, replyError, replyHtml } from './http-reply.js'
import { errorPage } from './pages.js'
import { infoHashParam } from './params.js'
import { remoteOf } from './remote.js'
import { listHtml, torrentHtml } from './web.js'

/** Longer request targets are refused unread (a tracker query is far below this). */
export const URL_CHARS_MAX = 8192

const TORRENT_PAGE = /^\/torrent\/([^/]+)$/
const TORRENT_FILE = /^\/torrents\/([^/]+)\.torrent$/
const TORRENT_API = /^\/api\/torrents\/([^/]+)$/

const tooBusy = encode(dictOf({ 'failure reason': 'too many requests; slow down' }))

/**
 * Routes one request. Every path answers (404/405/400/500 included) and nothing a client sends
 * can throw out of here: an unexpected error becomes a 500 and a log line.
 */
export function route(
  ctx: DirectoryContext,
  request: IncomingMessage,
  response: ServerResponse,
  onError: (error: unknown) => void,
): void {
  const fail = (error: unknown): void => {
    onError(error)
    replyError(response, 500, 'internal error')
  }
  try {
    const done = dispatch(ctx, request, response)
    if (done instanceof Promise) done.catch(fail)
  } catch (error) {
    fail(error)
  }
}

function dispatch(
  ctx: DirectoryContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> | void {
  const target = request.url ?? ''
  if (target.length > URL_CHARS_MAX) return replyError(response, 414, 'request URL too long')
  if (!target.startsWith('/')) return replyError(response, 400, 'bad request target')
  const queryAt = target.indexOf('?')
  const path = queryAt < 0 ? target : target.slice(0, queryAt)
  const rawQuery = queryAt < 0 ? '' : target.slice(queryAt + 1)
  const method = request.method ?? 'GET'
  const reading = method === 'GET' || method === 'HEAD'

  if (path === '/announce' || path === '/scrape') {
    if (!reading) return replyError(response, 405, 'use GET')
    const remote = remoteOf(request)
    const now = ctx.clock.now()
    if (!ctx.tracker.admit(remote, now)) return replyBencoded(response, tooBusy)
    const body =
      path === '/announce'
        ? ctx.tracker.handleHttpAnnounce(rawQuery, remote, now)
        : ctx.tracker.handleHttpScrape(rawQuery, remote, now)
    return replyBencoded(response, body)
  }

  // URLSearchParams never throws: a malformed escape stays as literal text.
  const params = new URLSearchParams(rawQuery)
  if (path === '/api/torrents') {
    if (method === 'POST') return publishTorrent(ctx, request, response, params)
    if (reading) return searchTorrents(ctx, request, response, params)
    return replyError(response, 405, 'use GET to search or POST to publish')
  }
  if (!reading) return replyError(response, 405, 'use GET')
  if (path === '/') return listHtml(ctx, request, response, params)

  const api = TORRENT_API.exec(path)
  if (api !== null) {
    const hash = infoHashParam(api[1] as string)
    if (hash === undefined) return replyError(response, 400, 'expected a 40-hex-digit info-hash')
    return torrentJson(ctx, request, response, hash, params)
  }
  const file = TORRENT_FILE.exec(path)
  if (file !== null) {
    const hash = infoHashParam(file[1] as string)
    if (hash === undefined) return replyError(response, 400, 'expected a 40-hex-digit info-hash')
    return torrentFile(ctx, request, response, hash, params)
  }
  const page = TORRENT_PAGE.exec(path)
  if (page !== null) {
    const hash = infoHashParam(page[1] as string)
    if (hash === undefined) {
      return replyHtml(response, 400, errorPage(400, 'Expected a 40-hex-digit info-hash.'))
    }
    return torrentHtml(ctx, request, response, hash, params)
  }
  if (path.startsWith('/api/')) return replyError(response, 404, 'no such endpoint')
  return replyHtml(response, 404, errorPage(404, 'No such page.'))
}

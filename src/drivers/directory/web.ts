import type { IncomingMessage, ServerResponse } from 'node:http'
import { liveCounts } from './api.js'
import type { DirectoryContext } from './context.js'
import { replyHtml } from './http-reply.js'
import { errorPage, listPage, torrentPage } from './pages.js'
import { filePageParam, listQuery, PAGE_SIZE } from './params.js'

/** The two HTML pages. A bad parameter on a page is a 400 page, like the API's. */

export function listHtml(
  ctx: DirectoryContext,
  request: IncomingMessage,
  response: ServerResponse,
  params: URLSearchParams,
): void {
  const query = listQuery(params, PAGE_SIZE)
  if (!query.ok) return replyHtml(response, 400, errorPage(400, query.error))
  const { q, sort, order, page } = query.value
  const found = ctx.db.search(q, {
    sort,
    order,
    limit: PAGE_SIZE,
    offset: (page - 1) * PAGE_SIZE,
    trackers: ctx.trackersFor(request.headers.host),
  })
  return replyHtml(response, 200, listPage(found, { q, sort, order, page }))
}

export function torrentHtml(
  ctx: DirectoryContext,
  request: IncomingMessage,
  response: ServerResponse,
  infoHash: string,
  params: URLSearchParams,
): void {
  const filePage = filePageParam(params)
  if (filePage === undefined) {
    return replyHtml(response, 400, errorPage(400, 'file_page must be an integer.'))
  }
  const detail = ctx.db.detail(infoHash, ctx.trackersFor(request.headers.host), filePage)
  if (detail === undefined) return replyHtml(response, 404, errorPage(404, 'No such torrent.'))
  const page = torrentPage(
    detail,
    liveCounts(ctx, infoHash),
    ctx.db.samples(infoHash),
    ctx.wallNow(),
  )
  return replyHtml(response, 200, page)
}

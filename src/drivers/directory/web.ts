import type { FastifyInstance, FastifyReply } from 'fastify'
import { liveCounts } from './api.js'
import {
  filePageQuerySchema,
  infoHashParamsSchema,
  emptyMeansDefault,
  invalidMessages,
  listPageQuerySchema,
  listQuery,
  PAGE_SIZE,
  type ListQueryText,
} from './api-schemas.js'
import type { DirectoryContext } from './context.js'
import { errorPage, listPage, torrentPage } from './pages.js'

/** The two HTML pages. A bad parameter on a page is a 400 page, like the API's 400 JSON. */

export const sendHtml = (reply: FastifyReply, status: number, page: string): FastifyReply =>
  reply.code(status).type('text/html; charset=utf-8').send(page)

const TORRENT_PAGE_INVALID = {
  file_page: 'file_page must be an integer.',
  hash: 'Expected a 40-hex-digit info-hash.',
}

export function pageRoutes(app: FastifyInstance, ctx: DirectoryContext): void {
  app.get<{ Querystring: ListQueryText }>(
    '/',
    {
      schema: { querystring: listPageQuerySchema },
      config: { html: true, invalid: invalidMessages(PAGE_SIZE) },
      preValidation: emptyMeansDefault,
    },
    (request, reply) => {
      const { q, sort, order, page } = listQuery(request.query)
      const found = ctx.db.search(q, {
        sort,
        order,
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
        trackers: ctx.trackersFor(request.headers.host),
      })
      return sendHtml(reply, 200, listPage(found, { q, sort, order, page }))
    },
  )

  app.get<{ Params: { hash: string }; Querystring: { file_page?: number } }>(
    '/torrent/:hash',
    {
      schema: { params: infoHashParamsSchema, querystring: filePageQuerySchema },
      config: { html: true, invalid: TORRENT_PAGE_INVALID },
      preValidation: emptyMeansDefault,
    },
    (request, reply) => {
      const infoHash = request.params.hash.toLowerCase()
      const trackers = ctx.trackersFor(request.headers.host)
      const detail = ctx.db.detail(infoHash, trackers, request.query.file_page ?? 1)
      if (detail === undefined) return sendHtml(reply, 404, errorPage(404, 'No such torrent.'))
      const page = torrentPage(
        detail,
        liveCounts(ctx, infoHash),
        ctx.db.samples(infoHash),
        ctx.wallNow(),
      )
      return sendHtml(reply, 200, page)
    },
  )
}

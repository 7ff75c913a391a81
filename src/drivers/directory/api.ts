import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { fromHex } from '../../core/bytes.js'
import { parseMetainfo } from '../../protocols/bittorrent/metainfo/index.js'
import {
  detailResponseSchema,
  emptyMeansDefault,
  filePageQuerySchema,
  infoHashParamsSchema,
  invalidMessages,
  listQuery,
  publishQuerySchema,
  publishResponseSchema,
  searchQuerySchema,
  searchResponseSchema,
  type ListQueryText,
} from './api-schemas.js'
import type { DirectoryContext } from './context.js'
import { SEARCH_LIMIT_MAX, type SwarmCounts } from './index-db.js'
import { recordOf } from './record.js'
import { remoteOf } from './remote.js'
import { servedTemplate, servedTorrent, VERBATIM } from './served-torrent.js'

/** The JSON API and the .torrent download. */

const NO_PEERS: SwarmCounts = { seeders: 0, leechers: 0, completed: 0 }
const INVALID = invalidMessages(SEARCH_LIMIT_MAX)

/** The tracker's live counts (the index holds the last persisted ones). */
export function liveCounts(ctx: DirectoryContext, infoHash: string): SwarmCounts {
  const bytes = fromHex(infoHash)
  return (bytes === undefined ? undefined : ctx.tracker.countsOf(bytes)) ?? NO_PEERS
}

/** `X-Uploader` (percent-encoded UTF-8 allowed: header values are Latin-1) or `?uploader=`. */
function uploaderOf(request: FastifyRequest, queryUploader: string | undefined): string {
  const header = request.headers['x-uploader']
  const text = typeof header === 'string' ? header : (queryUploader ?? '')
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

interface HashRoute {
  Params: { hash: string }
  Querystring: { file_page?: number; original?: string }
}

export function apiRoutes(app: FastifyInstance, ctx: DirectoryContext): void {
  app.register(async (scope) => publishRoute(scope, ctx))

  app.get<{ Querystring: ListQueryText }>(
    '/api/torrents',
    {
      schema: { querystring: searchQuerySchema, response: searchResponseSchema },
      config: { invalid: INVALID },
      preValidation: emptyMeansDefault,
    },
    (request) => {
      const { q, sort, order, page, limit } = listQuery(request.query)
      const found = ctx.db.search(q, {
        sort,
        order,
        limit,
        offset: (page - 1) * limit,
        trackers: ctx.trackersFor(request.headers.host),
      })
      return Promise.resolve({ query: q, sort, order, page, limit, ...found })
    },
  )

  app.get<HashRoute>(
    '/api/torrents/:hash',
    {
      schema: {
        params: infoHashParamsSchema,
        querystring: filePageQuerySchema,
        response: detailResponseSchema,
      },
      config: { invalid: INVALID },
      preValidation: emptyMeansDefault,
    },
    (request, reply) => {
      const infoHash = request.params.hash.toLowerCase()
      const trackers = ctx.trackersFor(request.headers.host)
      const detail = ctx.db.detail(infoHash, trackers, request.query.file_page ?? 1)
      if (detail === undefined) return refuseJson(reply, 404, 'no such torrent')
      return reply.send({
        ...detail,
        live: liveCounts(ctx, infoHash),
        samples: ctx.db.samples(infoHash),
      })
    },
  )

  app.get<HashRoute>(
    '/torrents/:hash.torrent',
    { schema: { params: infoHashParamsSchema }, config: { invalid: INVALID } },
    (request, reply) => {
      const infoHash = request.params.hash.toLowerCase()
      const bytes = ctx.db.torrentBytes(infoHash)
      if (bytes === undefined) return refuseJson(reply, 404, 'no such torrent')
      // ?original=1 serves the bytes exactly as uploaded, without our tracker in front.
      const body =
        request.query.original === '1'
          ? bytes
          : servedTorrent(
              bytes,
              templateOf(ctx, infoHash, bytes),
              ctx.trackersFor(request.headers.host),
            )
      return reply
        .type('application/x-bittorrent')
        .header('content-disposition', `attachment; filename="${infoHash}.torrent"`)
        .send(Buffer.from(body.buffer, body.byteOffset, body.byteLength))
    },
  )
}

/** The directory API's error shape: `{"error": "..."}` (docs/protocols/directory.md). */
export const refuseJson = (reply: FastifyReply, status: number, message: string): FastifyReply =>
  reply.code(status).type('application/json; charset=utf-8').send({ error: message })

/** Kinds of body a publish may carry: the raw .torrent, whatever the client calls it. */
const TORRENT_TYPES = ['application/x-bittorrent', 'application/octet-stream']

/**
 * `POST /api/torrents` in its own scope: the body is the raw .torrent (no JSON or form
 * parsing; `curl --data-binary` sends it as a form and `fetch` with no type at all), capped at
 * `uploadBytesMax` (Fastify refuses a declared length over it with 413 before reading, and
 * cuts off a chunked one as soon as it passes). The per-source rate limit runs on arrival,
 * before a byte of the body is read.
 */
function publishRoute(scope: FastifyInstance, ctx: DirectoryContext): void {
  scope.removeAllContentTypeParsers()
  const asBytes = (_request: FastifyRequest, body: Buffer, done: (e: null, b: Buffer) => void) =>
    done(null, body)
  scope.addContentTypeParser(TORRENT_TYPES, { parseAs: 'buffer' }, asBytes)
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, asBytes)
  scope.post<{ Querystring: { uploader?: string }; Body: Buffer | undefined }>(
    '/api/torrents',
    {
      bodyLimit: ctx.uploadBytesMax,
      schema: { querystring: publishQuerySchema, response: publishResponseSchema },
      onRequest: (request, reply, done) => {
        if (ctx.publishLimiter.admit(remoteOf(request.raw), ctx.clock.now())) return done()
        const retryAfter = String(Math.ceil(1 / Math.max(ctx.publishRatePerSecond, 1e-6)))
        reply.header('retry-after', retryAfter)
        refuseJson(reply, 429, 'too many publishes from this address; slow down')
      },
    },
    (request, reply) => publish(ctx, request, reply, request.body, request.query.uploader),
  )
}

function publish(
  ctx: DirectoryContext,
  request: FastifyRequest,
  reply: FastifyReply,
  body: Buffer | undefined,
  queryUploader: string | undefined,
): FastifyReply {
  // A copy: the stored record must not share memory with the request's buffers.
  const bytes = body === undefined ? new Uint8Array(0) : new Uint8Array(body)
  if (bytes.length === 0) {
    return refuseJson(reply, 400, 'empty body: send the .torrent file bytes as the body')
  }
  // Padding files can at most double the list; beyond that the parser stops early.
  const parsed = parseMetainfo(bytes, ctx.hashing, { fileCountMax: 2 * ctx.filesMax })
  const files = parsed.ok ? parsed.value.files.filter((file) => !file.pad).length : 0
  if ((!parsed.ok && parsed.error.code === 'too_many_files') || files > ctx.filesMax) {
    return reply.code(422).send({
      error: `too many files: a published torrent may list at most ${ctx.filesMax}`,
      filesMax: ctx.filesMax,
    })
  }
  if (!parsed.ok) return refuseJson(reply, 400, `not a valid .torrent: ${parsed.error.message}`)
  const metainfo = parsed.value
  const record = {
    ...recordOf(metainfo, bytes, uploaderOf(request, queryUploader), ctx.wallNow()),
    served: servedTemplate(metainfo),
  }
  const created = ctx.db.publish(record, ctx.tracker.countsOf(metainfo.infoHash))
  if (ctx.allowListOnly) ctx.tracker.allow(metainfo.infoHash)
  const torrent = ctx.db.detail(record.infoHash, ctx.trackersFor(request.headers.host))
  return reply.code(created ? 201 : 200).send({ created, torrent })
}

/**
 * The stored template; a torrent published before templates existed is parsed once, here, and
 * its template stored, so no torrent is parsed more than once after its publish.
 */
function templateOf(ctx: DirectoryContext, infoHash: string, original: Uint8Array) {
  const stored = ctx.db.servedTemplate(infoHash)
  if (stored !== undefined) return stored
  const parsed = parseMetainfo(original, ctx.hashing)
  const template = parsed.ok ? servedTemplate(parsed.value) : VERBATIM
  ctx.db.storeServedTemplate(infoHash, template)
  return template
}

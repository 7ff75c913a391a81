import type { IncomingMessage, ServerResponse } from 'node:http'
import { fromHex } from '../../core/bytes.js'
import { parseMetainfo } from '../../protocols/bittorrent/metainfo/index.js'
import type { DirectoryContext } from './context.js'
import { reply, replyError, replyJson } from './http-reply.js'
import { SEARCH_LIMIT_MAX, type SwarmCounts } from './index-db.js'
import { filePageParam, listQuery } from './params.js'
import { readBody } from './read-body.js'
import { recordOf } from './record.js'
import { remoteOf } from './remote.js'
import { servedTemplate, servedTorrent, VERBATIM } from './served-torrent.js'

/** The JSON API and the .torrent download. Handlers answer every request, never throw. */

const NO_PEERS: SwarmCounts = { seeders: 0, leechers: 0, completed: 0 }

/** The tracker's live counts (the index holds the last persisted ones). */
export function liveCounts(ctx: DirectoryContext, infoHash: string): SwarmCounts {
  const bytes = fromHex(infoHash)
  return (bytes === undefined ? undefined : ctx.tracker.countsOf(bytes)) ?? NO_PEERS
}

/** `X-Uploader` (percent-encoded UTF-8 allowed: header values are Latin-1) or `?uploader=`. */
function uploaderOf(request: IncomingMessage, params: URLSearchParams): string {
  const header = request.headers['x-uploader']
  const text = typeof header === 'string' ? header : (params.get('uploader') ?? '')
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

export async function publishTorrent(
  ctx: DirectoryContext,
  request: IncomingMessage,
  response: ServerResponse,
  params: URLSearchParams,
): Promise<void> {
  if (!ctx.publishLimiter.admit(remoteOf(request), ctx.clock.now())) {
    request.resume()
    const retryAfter = String(Math.ceil(1 / Math.max(ctx.publishRatePerSecond, 1e-6)))
    return reply(
      response,
      429,
      'application/json; charset=utf-8',
      `${JSON.stringify({ error: 'too many publishes from this address; slow down' })}\n`,
      { 'retry-after': retryAfter },
    )
  }
  const body = await readBody(request, ctx.uploadBytesMax)
  if (!body.ok) return replyError(response, body.status, body.message)
  if (body.bytes.length === 0) {
    return replyError(response, 400, 'empty body: send the .torrent file bytes as the body')
  }
  // Padding files can at most double the list; beyond that the parser stops early.
  const parsed = parseMetainfo(body.bytes, ctx.hashing, { fileCountMax: 2 * ctx.filesMax })
  const files = parsed.ok ? parsed.value.files.filter((file) => !file.pad).length : 0
  if ((!parsed.ok && parsed.error.code === 'too_many_files') || files > ctx.filesMax) {
    return replyJson(response, 422, {
      error: `too many files: a published torrent may list at most ${ctx.filesMax}`,
      filesMax: ctx.filesMax,
    })
  }
  if (!parsed.ok) {
    return replyError(response, 400, `not a valid .torrent: ${parsed.error.message}`)
  }
  const metainfo = parsed.value
  const record = {
    ...recordOf(metainfo, body.bytes, uploaderOf(request, params), ctx.wallNow()),
    served: servedTemplate(metainfo),
  }
  const created = ctx.db.publish(record, ctx.tracker.countsOf(metainfo.infoHash))
  if (ctx.allowListOnly) ctx.tracker.allow(metainfo.infoHash)
  const torrent = ctx.db.detail(record.infoHash, ctx.trackersFor(request.headers.host))
  return replyJson(response, created ? 201 : 200, { created, torrent })
}

export function searchTorrents(
  ctx: DirectoryContext,
  request: IncomingMessage,
  response: ServerResponse,
  params: URLSearchParams,
): void {
  const query = listQuery(params, SEARCH_LIMIT_MAX)
  if (!query.ok) return replyError(response, 400, query.error)
  const { q, sort, order, page, limit } = query.value
  const found = ctx.db.search(q, {
    sort,
    order,
    limit,
    offset: (page - 1) * limit,
    trackers: ctx.trackersFor(request.headers.host),
  })
  return replyJson(response, 200, { query: q, sort, order, page, limit, ...found })
}

export function torrentJson(
  ctx: DirectoryContext,
  request: IncomingMessage,
  response: ServerResponse,
  infoHash: string,
  params: URLSearchParams,
): void {
  const filePage = filePageParam(params)
  if (filePage === undefined) return replyError(response, 400, 'file_page must be an integer')
  const detail = ctx.db.detail(infoHash, ctx.trackersFor(request.headers.host), filePage)
  if (detail === undefined) return replyError(response, 404, 'no such torrent')
  return replyJson(response, 200, {
    ...detail,
    live: liveCounts(ctx, infoHash),
    samples: ctx.db.samples(infoHash),
  })
}

export function torrentFile(
  ctx: DirectoryContext,
  request: IncomingMessage,
  response: ServerResponse,
  infoHash: string,
  params: URLSearchParams,
): void {
  const bytes = ctx.db.torrentBytes(infoHash)
  if (bytes === undefined) return replyError(response, 404, 'no such torrent')
  // ?original=1 serves the bytes exactly as uploaded, without our tracker in front.
  const body =
    params.get('original') === '1'
      ? bytes
      : servedTorrent(
          bytes,
          templateOf(ctx, infoHash, bytes),
          ctx.trackersFor(request.headers.host),
        )
  return reply(response, 200, 'application/x-bittorrent', body, {
    'content-disposition': `attachment; filename="${infoHash}.torrent"`,
  })
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

import type { IncomingMessage, ServerResponse } from 'node:http'
import { fromHex } from '../../core/bytes.js'
import { parseMetainfo } from '../../protocols/bittorrent/metainfo/index.js'
import type { DirectoryContext } from './context.js'
import { reply, replyError, replyJson } from './http-reply.js'
import { SEARCH_LIMIT_MAX, type SwarmCounts } from './index-db.js'
import { listQuery } from './params.js'
import { readBody } from './read-body.js'
import { recordOf } from './record.js'
import { servedTorrent } from './served-torrent.js'

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
  const body = await readBody(request, ctx.uploadBytesMax)
  if (!body.ok) return replyError(response, body.status, body.message)
  if (body.bytes.length === 0) {
    return replyError(response, 400, 'empty body: send the .torrent file bytes as the body')
  }
  const parsed = parseMetainfo(body.bytes, ctx.hashing)
  if (!parsed.ok) {
    return replyError(response, 400, `not a valid .torrent: ${parsed.error.message}`)
  }
  const metainfo = parsed.value
  const record = recordOf(metainfo, body.bytes, uploaderOf(request, params), ctx.wallNow())
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
): void {
  const detail = ctx.db.detail(infoHash, ctx.trackersFor(request.headers.host))
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
      : servedTorrent(bytes, ctx.trackersFor(request.headers.host), ctx.hashing)
  return reply(response, 200, 'application/x-bittorrent', body, {
    'content-disposition': `attachment; filename="${infoHash}.torrent"`,
  })
}

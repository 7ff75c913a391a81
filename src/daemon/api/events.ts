import type { FastifyInstance } from 'fastify'
import type { PeerApi } from '../../peer/types.js'
import { eventsSchema } from './schemas.js'
import { API_PREFIX, type ApiOptions } from './options.js'

/** The periodic `stats` event: the node's totals and every torrent's status. */
function stats(peer: PeerApi) {
  const torrents = peer.list()
  let downloadRate = 0
  let uploadRate = 0
  let peers = 0
  for (const t of torrents) {
    downloadRate += t.downloadRate
    uploadRate += t.uploadRate
    peers += t.peers
  }
  return { type: 'stats', downloadRate, uploadRate, peers, torrents }
}

/**
 * GET /api/v1/events: server-sent events, the peer's event stream as it happens and a `stats`
 * event at once and then every `statsIntervalMs`. The stream ends when the client goes or the
 * daemon closes.
 */
export function registerEvents(app: FastifyInstance, api: ApiOptions): void {
  const streams = new Set<() => void>()
  app.addHook('onClose', async () => {
    for (const end of [...streams]) end()
  })
  app.get(`${API_PREFIX}/events`, { schema: eventsSchema }, (request, reply) => {
    reply.hijack()
    const raw = reply.raw
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    })
    const send = (event: { readonly type: string }): void => {
      raw.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`)
    }
    const unsubscribe = api.peer.onEvent(send)
    const timer = setInterval(() => send(stats(api.peer)), api.statsIntervalMs)
    const end = (): void => {
      if (!streams.delete(end)) return
      unsubscribe()
      clearInterval(timer)
      raw.end()
    }
    streams.add(end)
    request.raw.on('close', end)
    send(stats(api.peer))
  })
}

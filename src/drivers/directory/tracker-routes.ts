import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { dictOf, encode } from '../../core/codec/bencode.js'
import type { Clock } from '../../core/env.js'
import { remoteOf } from './remote.js'
import type { TrackerPort } from './tracker-port.js'

const tooBusy = encode(dictOf({ 'failure reason': 'too many requests; slow down' }))

/** Tracker answers: HTTP 200, bencoded, as clients expect even for refusals. */
const sendBencoded = (reply: FastifyReply, body: Uint8Array): FastifyReply =>
  reply.code(200).type('text/plain').header('cache-control', 'no-store').send(body)

/** The raw query: the core reads `info_hash` bytes from its escapes, so nothing decodes it. */
function rawQueryOf(request: FastifyRequest): string {
  const url = request.url
  const queryAt = url.indexOf('?')
  return queryAt < 0 ? '' : url.slice(queryAt + 1)
}

/**
 * `GET /announce` and `GET /scrape` (BEP 3/23/7/48): the core's bencoded answers, unchanged.
 * `admit` (the per-source flood limit shared with UDP) runs first when `limitSources` is set.
 */
export function trackerRoutes(
  app: FastifyInstance,
  tracker: TrackerPort,
  clock: Clock,
  options: { readonly limitSources: boolean },
): void {
  const answer =
    (handle: 'handleHttpAnnounce' | 'handleHttpScrape') =>
    (request: FastifyRequest, reply: FastifyReply): void => {
      const remote = remoteOf(request.raw)
      const now = clock.now()
      if (options.limitSources && !tracker.admit(remote, now)) {
        sendBencoded(reply, tooBusy)
        return
      }
      sendBencoded(reply, tracker[handle](rawQueryOf(request), remote, now))
    }
  app.get('/announce', answer('handleHttpAnnounce'))
  app.get('/scrape', answer('handleHttpScrape'))
}

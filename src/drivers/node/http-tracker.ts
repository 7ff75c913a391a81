import type { FastifyReply } from 'fastify'
import { addressKey, type Address } from '../../core/address.js'
import { encode } from '../../core/codec/bencode.js'
import type { Clock } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import { NodeTrackerCore } from '../directory/tracker-core.js'
import { trackerRoutes } from '../directory/tracker-routes.js'
import { NodeHashing } from './hashing.js'
import { createHttpApp, listenHttp } from './http-server.js'

export interface HttpTracker {
  readonly address: Address
  /** The announce URL to put in torrents. */
  readonly announceUrl: string
  close(): Promise<void>
}

const failure = (reason: string): Uint8Array => encode(new Map([['failure reason', reason]]))

/** Refusals are bencoded `failure reason`s too, so a client can show them. */
const refuse = (reply: FastifyReply, status: number, reason: string): FastifyReply =>
  reply.code(status).type('text/plain').send(failure(reason))

/**
 * A tracker with no index: the directory's tracker core (announce and scrape over HTTP, in
 * memory) on plexus's HTTP stack, for `plexus tracker`, the demo and loopback tests. The
 * directory (`plexus directory`) is the same core and routes with UDP, the index and the pages.
 */
export async function startHttpTracker(options: {
  readonly local: Address
  readonly clock: Clock
  readonly random: Random
}): Promise<HttpTracker> {
  const tracker = new NodeTrackerCore({
    clock: options.clock,
    random: options.random,
    hashing: new NodeHashing(),
  })
  const app = createHttpApp({
    // One request per connection, like opentracker: clients announce once and go.
    headers: { connection: 'close' },
    exposeHeadRoutes: false,
    refuse: (_request, reply, status, message) => refuse(reply, status, message),
    unmatched: (request, reply) => {
      if (request.method !== 'GET') return refuse(reply, 405, 'only GET is supported')
      const path = request.url.split('?', 1)[0] ?? ''
      return refuse(reply, 404, `no such endpoint: ${path}`)
    },
    onError: () => {},
  })
  trackerRoutes(app, tracker, options.clock, { limitSources: false })
  try {
    const port = await listenHttp(app, options.local.host, options.local.port)
    const address = { host: options.local.host, port }
    return {
      address,
      announceUrl: `http://${addressKey(address)}/announce`,
      close: async () => {
        tracker.close()
        await app.close()
      },
    }
  } catch (error) {
    tracker.close()
    await app.close()
    throw error
  }
}

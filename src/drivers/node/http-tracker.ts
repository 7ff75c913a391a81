import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { addressKey, type Address } from '../../core/address.js'
import { encode } from '../../core/codec/bencode.js'
import type { Clock } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import { NodeTrackerCore } from '../directory/tracker-core.js'
import { NodeHashing } from './hashing.js'

export interface HttpTracker {
  readonly address: Address
  /** The announce URL to put in torrents. */
  readonly announceUrl: string
  close(): Promise<void>
}

/** Requests with a body or a long URL are refused before any work. */
const URL_BYTES_MAX = 8192

const failure = (reason: string): Uint8Array => encode(new Map([['failure reason', reason]]))

/**
 * A tracker with no index: the directory's tracker core (announce and scrape over HTTP, in
 * memory) behind a bare HTTP server, for `plexus tracker`, the demo and loopback tests. The
 * directory (`plexus directory`) is the same core with UDP, the index and the pages.
 */
export function startHttpTracker(options: {
  readonly local: Address
  readonly clock: Clock
  readonly random: Random
}): Promise<HttpTracker> {
  const tracker = new NodeTrackerCore({
    clock: options.clock,
    random: options.random,
    hashing: new NodeHashing(),
  })
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = request.url ?? ''
    const send = (status: number, body: Uint8Array): void => {
      response.writeHead(status, { 'content-type': 'text/plain', connection: 'close' })
      response.end(body)
    }
    if (request.method !== 'GET') return send(405, failure('only GET is supported'))
    if (url.length > URL_BYTES_MAX) return send(414, failure('request URL too long'))
    const queryAt = url.indexOf('?')
    const path = queryAt < 0 ? url : url.slice(0, queryAt)
    const query = queryAt < 0 ? '' : url.slice(queryAt + 1)
    const remote = { host: normalizeHost(request.socket.remoteAddress ?? ''), port: 0 }
    const now = options.clock.now()
    // Trackers answer refusals with 200 and a `failure reason`, which clients show to users.
    if (path === '/announce') return send(200, tracker.handleHttpAnnounce(query, remote, now))
    if (path === '/scrape') return send(200, tracker.handleHttpScrape(query, remote, now))
    return send(404, failure(`no such endpoint: ${path}`))
  })
  server.headersTimeout = 10_000
  server.requestTimeout = 10_000
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.local.port, options.local.host, () => {
      const info = server.address() as AddressInfo
      const address = { host: options.local.host, port: info.port }
      resolve({
        address,
        announceUrl: `http://${addressKey(address)}/announce`,
        close: () =>
          new Promise<void>((done) => {
            tracker.close()
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })
}

/** Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d; the swarm wants plain IPv4. */
function normalizeHost(host: string): string {
  return host.startsWith('::ffff:') && host.includes('.') ? host.slice(7) : host
}

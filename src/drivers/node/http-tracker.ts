import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { addressKey, type Address } from '../../core/address.js'
import type { Clock } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import {
  failure,
  parseAnnounceQuery,
  TrackerRegistry,
  type TrackerConfig,
} from '../../protocols/bittorrent/tracker-server/index.js'

export interface HttpTracker {
  readonly address: Address
  /** The announce URL to put in torrents. */
  readonly announceUrl: string
  readonly registry: TrackerRegistry
  close(): Promise<void>
}

/** Requests with a body or a long URL are refused before any work. */
const URL_BYTES_MAX = 8192

/**
 * Serves `GET /announce` over HTTP with the in-memory `TrackerRegistry`. A minimal tracker for
 * the demo and loopback tests; the directory server replaces it with the full tracker + index.
 */
export function startHttpTracker(options: {
  readonly local: Address
  readonly clock: Clock
  readonly random: Random
  readonly config?: TrackerConfig
}): Promise<HttpTracker> {
  const registry = new TrackerRegistry(options.random, options.config)
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = request.url ?? ''
    const send = (status: number, body: Uint8Array | string): void => {
      response.writeHead(status, { 'content-type': 'text/plain', connection: 'close' })
      response.end(body)
    }
    if (request.method !== 'GET') return send(405, failure('only GET is supported'))
    if (url.length > URL_BYTES_MAX) return send(414, failure('request URL too long'))
    const queryAt = url.indexOf('?')
    const path = queryAt < 0 ? url : url.slice(0, queryAt)
    if (path !== '/announce') return send(404, failure(`no such endpoint: ${path}`))
    const parsed = parseAnnounceQuery(queryAt < 0 ? '' : url.slice(queryAt + 1))
    // Trackers answer refusals with 200 and a `failure reason`, which clients show to users.
    if (!parsed.ok) return send(200, failure(parsed.error))
    const remote = normalizeHost(request.socket.remoteAddress ?? '')
    return send(200, registry.announce(options.clock.now(), parsed.value, remote))
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
        registry,
        close: () =>
          new Promise<void>((done) => {
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

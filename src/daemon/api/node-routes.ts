import type { FastifyInstance } from 'fastify'
import {
  dhtSchema,
  getSettingsSchema,
  metricsSchema,
  pluginsSchema,
  putSettingsSchema,
} from './schemas.js'
import type { Address } from '../../core/address.js'
import { call } from '../call.js'
import { fromPeerError } from './api-error.js'
import { API_PREFIX, type ApiOptions } from './options.js'

/** What PUT /settings may change (limits, listen port, DHT on/off), and the DHT's port. */
function settings(api: ApiOptions) {
  const dht = api.peer.dhtStatus()
  return {
    ...api.peer.limits(),
    listenPort: api.peer.listenAddress.port,
    dhtEnabled: dht !== undefined,
    ...(dht === undefined ? {} : { dhtPort: portOf(dht.address) }),
  }
}

/** The port of an address key (`host:port`, `[v6]:port`). */
function portOf(addressKey: string): number {
  return Number(addressKey.slice(addressKey.lastIndexOf(':') + 1))
}

/** The node as a whole: the DHT, the settings, the plug-ins and the Prometheus metrics. */
export function registerNodeRoutes(app: FastifyInstance, api: ApiOptions): void {
  app.get(`${API_PREFIX}/dht`, { schema: dhtSchema }, () => {
    const status = api.peer.dhtStatus()
    return status === undefined ? { enabled: false } : { enabled: true, ...status }
  })

  app.get(`${API_PREFIX}/settings`, { schema: getSettingsSchema }, () => settings(api))

  // The plug-in surface: every protocol the peer hosts besides BitTorrent, with its status, so
  // that the dashboard can show a view of a protocol it has no page of its own for.
  app.get(`${API_PREFIX}/plugins`, { schema: pluginsSchema }, () => ({
    plugins: api.peer.plugins(),
  }))

  app.put(`${API_PREFIX}/settings`, { schema: putSettingsSchema }, async (request) => {
    // The schema let through only whole numbers in range (connectionsMax >= 1, ports 0..65535).
    const { listenPort, dhtEnabled, ...limits } = request.body as {
      uploadRateLimit?: number
      downloadRateLimit?: number
      connectionsMax?: number
      listenPort?: number
      dhtEnabled?: boolean
    }
    // The port and the DHT first: they can fail (a port in use), the limits cannot.
    try {
      if (listenPort !== undefined && listenPort !== api.peer.listenAddress.port) {
        const local = await call<Address>((done) => api.peer.setListenPort(listenPort, done))
        api.log.log('info', 'listen port changed', { port: local.port })
      }
      if (dhtEnabled !== undefined && dhtEnabled !== (api.peer.dhtStatus() !== undefined)) {
        await call<void>((done) => api.peer.setDht(dhtEnabled ? api.dht : false, done))
        api.log.log('info', dhtEnabled ? 'DHT started' : 'DHT stopped')
      }
    } catch (error) {
      throw fromPeerError(error as Error)
    }
    api.peer.setLimits(limits)
    api.log.log('info', 'limits changed', { ...api.peer.limits() })
    return settings(api)
  })

  // Prometheus' own path, outside /api/v1; the token is required here too (a scrape config
  // gives it with `authorization: { credentials_file: <data dir>/api-token }`).
  app.get('/metrics', { schema: metricsSchema }, async (_request, reply) => {
    const text = await api.metrics.text()
    return reply.header('content-type', api.metrics.contentType).send(text)
  })
}

import type { FastifyInstance } from 'fastify'
import { dhtSchema, getSettingsSchema, metricsSchema, putSettingsSchema } from './schemas.js'
import { API_PREFIX, type ApiOptions } from './options.js'

/** The node as a whole: the DHT, the settings, and the Prometheus metrics. */
export function registerNodeRoutes(app: FastifyInstance, api: ApiOptions): void {
  app.get(`${API_PREFIX}/dht`, { schema: dhtSchema }, () => {
    const status = api.peer.dhtStatus()
    return status === undefined ? { enabled: false } : { enabled: true, ...status }
  })

  app.get(`${API_PREFIX}/settings`, { schema: getSettingsSchema }, () => api.peer.limits())

  app.put(`${API_PREFIX}/settings`, { schema: putSettingsSchema }, (request) => {
    const body = request.body as { uploadRateLimit?: number; downloadRateLimit?: number }
    api.peer.setLimits(body)
    api.log.log('info', 'limits changed', { ...api.peer.limits() })
    return api.peer.limits()
  })

  // Prometheus' own path, outside /api/v1; the token is required here too (a scrape config
  // gives it with `authorization: { credentials_file: <data dir>/api-token }`).
  app.get('/metrics', { schema: metricsSchema }, async (_request, reply) => {
    const text = await api.metrics.text()
    return reply.header('content-type', api.metrics.contentType).send(text)
  })
}

import swagger from '@fastify/swagger'
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import { drainRefusedBodies } from '../../drivers/node/http-drain.js'
import { HTTP_TIMEOUTS } from '../../drivers/node/http-server.js'
import { TORRENT_BYTES_MAX } from '../directory-fetch.js'
import { ApiError } from './api-error.js'
import { bearerMatches } from './auth.js'
import { isDashboardAsset, registerDashboardRoutes } from './dashboard-routes.js'
import { registerDhtRoutes } from './dht-routes.js'
import { registerEvents } from './events.js'
import { registerGnutellaRoutes } from './gnutella-routes.js'
import { registerMapReduceRoutes } from './mapreduce-routes.js'
import { registerOverlayRoutes } from './overlay-routes.js'
import { registerNodeRoutes } from './node-routes.js'
import { API_PREFIX, API_VERSION, JSON_BYTES_MAX, type ApiOptions } from './options.js'
import { sharedSchemas } from './schemas.js'
import { registerSwarmRoutes } from './swarm-routes.js'
import { registerTorrentRoutes } from './torrent-routes.js'

/** Fastify's own refusals, as the API's error codes. */
const FASTIFY_CODES: Readonly<Record<string, { status: number; code: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'too_large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'bad_request' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'malformed_json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed_json' },
}

/**
 * The daemon's HTTP API: every route under /api/v1 (and /metrics) requires the bearer token,
 * validates its input against the route's schema, and answers errors as
 * `{ "type": "error", "code", "message" }`. No CORS headers are ever sent: a web page of
 * another origin cannot read any answer.
 */
export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    // The same deliberate limits as every plexus HTTP server (src/drivers/node/http-server.ts):
    // a slow or silent client cannot hold a connection open.
    connectionTimeout: HTTP_TIMEOUTS.idleMs,
    keepAliveTimeout: HTTP_TIMEOUTS.keepAliveMs,
    requestTimeout: HTTP_TIMEOUTS.requestMs,
    bodyLimit: JSON_BYTES_MAX,
    // Event streams are never idle: closing the daemon must not wait for their clients.
    forceCloseConnections: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  })
  app.addContentTypeParser(
    'application/x-bittorrent',
    { parseAs: 'buffer', bodyLimit: TORRENT_BYTES_MAX },
    (_request, body, done) => done(null, body),
  )
  // A body the API does not take gets 415, not a string the handler must refuse itself.
  app.removeContentTypeParser('text/plain')
  for (const schema of sharedSchemas) app.addSchema(schema)
  drainRefusedBodies(app)
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'plexus daemon API',
        // The API's version, not the package's: the document changes only with the API.
        version: API_VERSION,
        description:
          'The HTTP API of `plexus daemon` (docs/daemon.md). Every request carries ' +
          '`Authorization: Bearer <token>`, the token in the data dir file `api-token`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) => String(json['$id'] ?? `def-${i}`),
    },
  })

  // onRequest runs before the body is read: a request without the token reads nothing.
  app.addHook('onRequest', async (request) => {
    if (isDashboardAsset(request)) return
    if (!bearerMatches(request.headers.authorization, options.token)) {
      throw new ApiError(
        401,
        'unauthorized',
        'missing or wrong token (Authorization: Bearer <token>)',
      )
    }
  })
  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    const refusal = describe(error)
    if (refusal.status >= 500) {
      options.metrics.countError('api')
      options.log.log('error', 'API request failed', {
        method: request.method,
        url: request.url,
        error: error.message,
      })
    }
    if (refusal.status === 401) void reply.header('www-authenticate', 'Bearer')
    void reply
      .status(refusal.status)
      .send({ type: 'error', code: refusal.code, message: refusal.message })
  })
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      type: 'error',
      code: 'not_found',
      message: `no route ${request.method} ${request.url}`,
    })
  })

  registerTorrentRoutes(app, options)
  registerNodeRoutes(app, options)
  registerEvents(app, options)
  registerSwarmRoutes(app, options)
  registerDhtRoutes(app, options)
  registerDashboardRoutes(app)
  registerGnutellaRoutes(app, options)
  registerMapReduceRoutes(app, options)
  registerOverlayRoutes(app, options)
  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true } }, () => app.swagger())
  await app.ready()
  return app
}

function describe(error: FastifyError | ApiError): {
  status: number
  code: string
  message: string
} {
  if (error instanceof ApiError)
    return { status: error.status, code: error.code, message: error.message }
  const known = FASTIFY_CODES[error.code]
  if (known !== undefined) return { ...known, message: error.message }
  if (error.validation !== undefined) {
    return { status: 400, code: 'invalid_request', message: error.message }
  }
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) return { status, code: 'bad_request', message: error.message }
  return { status: 500, code: 'failed', message: error.message }
}

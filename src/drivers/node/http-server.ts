import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify'
import type { AddressInfo } from 'node:net'
import { firstValues } from './form-query.js'
import { drainRefusedBodies } from './http-drain.js'

/**
 * plexus's one way to serve HTTP: a Fastify instance with the same deliberate limits everywhere
 * (the directory's pages and API, the stand-alone tracker, and any new one such as the
 * daemon's API). Each server says how it words a refusal (JSON, an HTML page, a bencoded
 * `failure reason`) and what an unmatched request gets; everything else (timeouts, the URL
 * cap, errors that never leak a stack) is decided here once.
 */

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a request failing this route's schema is told, by parameter name. */
    readonly invalid?: Readonly<Record<string, string>>
    /** Refusals on this route are HTML pages (the directory's web pages). */
    readonly html?: boolean
  }
}

/** Longer request targets are refused unread (a tracker query is far below this). */
const URL_CHARS_MAX = 8192

/**
 * Slowloris and idle-connection bounds. Node's own defaults are wrong for a public server
 * (Fastify's keep-alive is 72 s, no idle timeout), so each is set here on purpose:
 * a client has 10 s to send its headers and 60 s for the whole request (a 10 MiB upload on a
 * slow line), a socket idle for 60 s is closed, and a kept-alive connection is dropped after
 * 5 s without a new request.
 */
export const HTTP_TIMEOUTS = {
  headersMs: 10_000,
  requestMs: 60_000,
  idleMs: 60_000,
  keepAliveMs: 5_000,
} as const

type Refuse = (
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  message: string,
) => FastifyReply

export interface HttpAppOptions {
  /** Writes a refusal (4xx/5xx) in this server's vocabulary. */
  readonly refuse: Refuse
  /** Answers a request no route takes (404, 405, a target the router cannot decode). */
  readonly unmatched: (request: FastifyRequest, reply: FastifyReply) => FastifyReply
  /** Headers every answer carries (set before any route, refusal or 404 runs). */
  readonly headers?: Readonly<Record<string, string>>
  /** An unexpected error (a bug): logged by the caller; the client gets a bare 500. */
  readonly onError: (error: unknown) => void
  /** Answer HEAD on every GET route (default true). */
  readonly exposeHeadRoutes?: boolean
}

const tooLong = (request: FastifyRequest): boolean => request.url.length > URL_CHARS_MAX

export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const headers = options.headers ?? {}
  const app = Fastify({
    logger: false,
    connectionTimeout: HTTP_TIMEOUTS.idleMs,
    keepAliveTimeout: HTTP_TIMEOUTS.keepAliveMs,
    requestTimeout: HTTP_TIMEOUTS.requestMs,
    forceCloseConnections: true,
    exposeHeadRoutes: options.exposeHeadRoutes ?? true,
    routerOptions: {
      // Parameters are bounded by the URL cap; a long one is the route's 400, not a 404.
      maxParamLength: URL_CHARS_MAX,
      querystringParser: firstValues,
    },
    // A target the router cannot decode (`/%%%`) is answered like any unmatched request.
    frameworkErrors: (_error, request, reply) => {
      reply.headers(headers)
      if (tooLong(request)) return options.refuse(request, reply, 414, 'request URL too long')
      return options.unmatched(request, reply)
    },
  })
  app.server.headersTimeout = HTTP_TIMEOUTS.headersMs
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(headers)
    if (tooLong(request)) {
      options.refuse(request, reply, 414, 'request URL too long')
      return
    }
    done()
  })
  drainRefusedBodies(app)
  app.setNotFoundHandler((request, reply) => options.unmatched(request, reply))
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500
    if (error.validation !== undefined) {
      return options.refuse(request, reply, 400, invalidMessage(request, error))
    }
    if (status >= 400 && status < 500) {
      const message =
        error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `body over ${request.routeOptions.bodyLimit} bytes`
          : error.message
      return options.refuse(request, reply, status, message)
    }
    options.onError(error)
    return options.refuse(request, reply, 500, 'internal error')
  })
  return app
}

/** The route's own words for the first failing parameter, else Ajv's. */
function invalidMessage(request: FastifyRequest, error: FastifyError): string {
  const first = error.validation?.[0]
  const missing = first?.params['missingProperty']
  const field =
    typeof missing === 'string' ? missing : (first?.instancePath.replace(/^\//, '') ?? '')
  return request.routeOptions.config.invalid?.[field] ?? error.message
}

/** Listens on `host:port` (0: the kernel picks) and returns the bound port. */
export async function listenHttp(app: FastifyInstance, host: string, port: number) {
  await app.listen({ host, port })
  return (app.server.address() as AddressInfo).port
}

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ApiError } from './api-error.js'

/**
 * The dashboard's static files (dist/dashboard, built by scripts/build-dashboard.mjs) at `/`
 * and `/assets/<name>`. They are public: they hold no data, and the page takes the token from
 * its URL fragment and sends it as a bearer header on every API call. A strict
 * Content-Security-Policy keeps the page to this origin: no script, style, font or connection
 * anywhere else, no inline script, no framing.
 */

/** Where the bundle lies, seen from dist/src/daemon/api/. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../../dashboard/', import.meta.url))

export const DASHBOARD_CSP = [
  "default-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ')

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
}

interface StaticFile {
  readonly type: string
  readonly bytes: Buffer
}

/** The route config flag the token check looks for. */
const PUBLIC = { dashboardAsset: true } as const

/** Whether a request is for one of the dashboard's static files (served without the token). */
export function isDashboardAsset(request: FastifyRequest): boolean {
  const config = request.routeOptions.config as { dashboardAsset?: boolean } | undefined
  return config?.dashboardAsset === true
}

/** The bundle's files, read once at start (a few tens of KiB); undefined when not built. */
function loadBundle(dir: string): Map<string, StaticFile> | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined
  const files = new Map<string, StaticFile>()
  const add = (name: string, path: string): void => {
    const type = TYPES[extname(path)]
    if (type !== undefined) files.set(name, { type, bytes: readFileSync(path) })
  }
  add('index.html', join(dir, 'index.html'))
  const assets = join(dir, 'assets')
  if (existsSync(assets)) for (const name of readdirSync(assets)) add(name, join(assets, name))
  return files
}

function send(reply: FastifyReply, file: StaticFile): FastifyReply {
  return (
    reply
      .header('content-type', file.type)
      .header('content-security-policy', DASHBOARD_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      // Fixed names: the browser asks again each time, so a rebuilt bundle shows at once.
      .header('cache-control', 'no-cache')
      .send(file.bytes)
  )
}

export function registerDashboardRoutes(app: FastifyInstance, dir = DASHBOARD_DIR): void {
  const bundle = loadBundle(dir)
  const hidden = { schema: { hide: true }, config: PUBLIC }

  app.get('/', hidden, (_request, reply) => {
    const index = bundle?.get('index.html')
    if (index === undefined) {
      throw new ApiError(503, 'not_built', 'the dashboard is not built: run `npm run build`')
    }
    return send(reply, index)
  })

  app.get('/assets/:name', hidden, (request, reply) => {
    const { name } = request.params as { name: string }
    const file = name === 'index.html' ? undefined : bundle?.get(name)
    if (file === undefined) throw new ApiError(404, 'not_found', `no dashboard file ${name}`)
    return send(reply, file)
  })
}

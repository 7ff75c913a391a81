import type { FastifyInstance } from 'fastify'
import { addressKey } from '../../core/address.js'
import { DownloadRefused } from '../../drivers/gnutella/download-book.js'
import type { GnutellaPlugin } from '../../drivers/gnutella/gnutella-plugin.js'
import type { SearchRecord } from '../../drivers/gnutella/search-book.js'
import { ApiError } from './api-error.js'
import {
  gnutellaSchemas,
  gnutellaStatusSchema,
  listDownloadsSchema,
  listSearchesSchema,
  searchHitsSchema,
  sharedFilesSchema,
  startDownloadSchema,
  startSearchSchema,
} from './gnutella-schemas.js'
import { API_PREFIX, type ApiOptions } from './options.js'

/** A search as the API shows it: hits numbered from 1, sources as `host:port`. */
const searchJson = (search: SearchRecord) => ({
  id: search.id,
  words: search.words,
  startedAt: search.startedAt,
  hits: search.files.map((f, i) => ({
    index: i + 1,
    name: f.name,
    length: f.length,
    ...(f.urn === undefined ? {} : { urn: f.urn }),
    speed: f.speed,
    sources: f.sources.map(addressKey),
    firewalledSources: f.firewalled.map((s) => addressKey(s.address)),
  })),
})

/** /api/v1/gnutella: the servent the daemon runs when `[gnutella] enabled = true`. */
export function registerGnutellaRoutes(app: FastifyInstance, api: ApiOptions): void {
  for (const schema of gnutellaSchemas) app.addSchema(schema)
  const base = `${API_PREFIX}/gnutella`
  const servent = (): GnutellaPlugin => {
    if (api.gnutella === undefined)
      throw new ApiError(409, 'disabled', 'gnutella is not enabled ([gnutella] enabled = true)')
    return api.gnutella
  }
  /** Searches need the servent itself (its searches and downloads outlive a restart). */
  const running = (): GnutellaPlugin => {
    const plugin = servent()
    if (plugin.status().state !== 'running')
      throw new ApiError(503, 'closed', 'the gnutella servent is restarting or stopping')
    return plugin
  }
  const search = (id: string): SearchRecord => {
    const found = servent().searchResults(id)
    if (found === undefined) throw new ApiError(404, 'not_found', `no search ${id}`)
    return found
  }

  app.get(base, { schema: gnutellaStatusSchema }, () =>
    api.gnutella === undefined ? { enabled: false } : { enabled: true, ...api.gnutella.status() },
  )

  app.post(`${base}/searches`, { schema: startSearchSchema }, (request, reply) => {
    const { words } = request.body as { words: string }
    const started = running().search(words.trim())
    api.log.log('info', 'gnutella search', { id: started.id, words: started.words })
    return reply.status(201).send(searchJson(started))
  })

  app.get(`${base}/searches`, { schema: listSearchesSchema }, () => ({
    searches: servent()
      .searches()
      .map((s) => ({ id: s.id, words: s.words, startedAt: s.startedAt, hits: s.files.length }))
      .reverse(),
  }))

  app.get(`${base}/shared`, { schema: sharedFilesSchema }, () => ({
    files: running().sharedFiles(),
  }))

  app.get(`${base}/searches/:id`, { schema: searchHitsSchema }, (request) =>
    searchJson(search((request.params as { id: string }).id)),
  )

  app.post(`${base}/downloads`, { schema: startDownloadSchema }, (request, reply) => {
    const body = request.body as { search: string; index: number }
    const file = search(body.search).files[body.index - 1]
    if (file === undefined)
      throw new ApiError(404, 'not_found', `search ${body.search} has no hit ${body.index}`)
    try {
      const { record } = servent().download(file)
      api.log.log('info', 'gnutella download', { id: record.id, urn: record.urn })
      return reply.status(202).send(record)
    } catch (error) {
      if (!(error instanceof DownloadRefused)) throw error
      throw new ApiError(error.code === 'exists' ? 409 : 422, error.code, error.message)
    }
  })

  app.get(`${base}/downloads`, { schema: listDownloadsSchema }, () => ({
    downloads: servent().downloads(),
  }))
}

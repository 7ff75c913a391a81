import type { FastifyInstance } from 'fastify'
import type { TorrentDetail } from '../../peer/types.js'
import type { AddRequest } from '../torrents.js'
import { ApiError } from './api-error.js'
import {
  addSchema,
  detailSchema,
  filesSchema,
  listSchema,
  pauseSchema,
  peersSchema,
  removeSchema,
  setFilesSchema,
  trackersSchema,
} from './schemas.js'
import { API_PREFIX, type ApiOptions } from './options.js'

interface AddOptionsInput {
  readonly paused?: boolean
  readonly saveDir?: string
  readonly only?: number[]
  readonly skip?: number[]
  readonly sequential?: boolean
}

interface AddJson extends AddOptionsInput {
  readonly magnet?: string
  readonly directory?: string
  readonly infoHash?: string
}

interface IdParams {
  readonly infoHash: string
}

const options = (input: AddOptionsInput): Omit<AddRequest, 'source'> => ({
  ...(input.paused === undefined ? {} : { paused: input.paused }),
  ...(input.saveDir === undefined ? {} : { saveDir: input.saveDir }),
  ...(input.only === undefined ? {} : { only: input.only }),
  ...(input.skip === undefined ? {} : { skip: input.skip }),
  ...(input.sequential === true ? { sequential: true } : {}),
})

/** The add request a body stands for: raw .torrent bytes, or JSON naming one source. */
async function addRequestOf(
  body: unknown,
  query: AddOptionsInput,
  api: ApiOptions,
): Promise<AddRequest> {
  if (Buffer.isBuffer(body)) {
    return { source: { kind: 'metainfo', bytes: new Uint8Array(body) }, ...options(query) }
  }
  const json = body as AddJson
  const sources = [json.magnet !== undefined, json.directory !== undefined].filter(Boolean)
  if (sources.length !== 1) {
    throw new ApiError(400, 'invalid_request', 'give exactly one of magnet or directory + infoHash')
  }
  if (json.magnet !== undefined) {
    return { source: { kind: 'magnet', uri: json.magnet }, ...options({ ...query, ...json }) }
  }
  if (json.infoHash === undefined) {
    throw new ApiError(400, 'invalid_request', 'directory needs the infoHash of a search result')
  }
  const bytes = await api.fetchFromDirectory(json.directory as string, json.infoHash.toLowerCase())
  return { source: { kind: 'metainfo', bytes }, ...options({ ...query, ...json }) }
}

/** /api/v1/torrents and everything under it. */
export function registerTorrentRoutes(app: FastifyInstance, api: ApiOptions): void {
  const base = `${API_PREFIX}/torrents`
  const detail = (params: IdParams): TorrentDetail => {
    const infoHash = params.infoHash.toLowerCase()
    const found = api.peer.torrent(infoHash)
    if (found === undefined) throw new ApiError(404, 'not_found', `no torrent ${infoHash}`)
    return found
  }

  app.post(base, { schema: addSchema }, async (request, reply) => {
    if (request.body === undefined || request.body === null || typeof request.body !== 'object') {
      throw new ApiError(
        415,
        'unsupported_media_type',
        'send a .torrent as application/x-bittorrent or JSON as application/json',
      )
    }
    const add = await addRequestOf(request.body, request.query as AddOptionsInput, api)
    const status = await api.torrents.add(add)
    return reply.status(201).send(status)
  })

  app.get(base, { schema: listSchema }, () => ({ torrents: api.peer.list() }))

  app.get(`${base}/:infoHash`, { schema: detailSchema }, (request) =>
    detail(request.params as IdParams),
  )

  app.get(`${base}/:infoHash/files`, { schema: filesSchema }, (request) => ({
    files: detail(request.params as IdParams).files,
  }))

  app.put(`${base}/:infoHash/files`, { schema: setFilesSchema }, async (request) => {
    const { infoHash } = detail(request.params as IdParams)
    const { priorities } = request.body as { priorities: number[] }
    await api.torrents.setFilePriorities(infoHash, priorities)
    return { files: detail({ infoHash }).files }
  })

  app.get(`${base}/:infoHash/peers`, { schema: peersSchema }, (request) => ({
    peers: detail(request.params as IdParams).peerList,
  }))

  app.get(`${base}/:infoHash/trackers`, { schema: trackersSchema }, (request) => ({
    trackers: detail(request.params as IdParams).trackers,
  }))

  app.post(`${base}/:infoHash/pause`, { schema: pauseSchema('Pause a torrent') }, (request) =>
    api.torrents.pause(detail(request.params as IdParams).infoHash),
  )

  app.post(`${base}/:infoHash/resume`, { schema: pauseSchema('Resume a torrent') }, (request) =>
    api.torrents.resume(detail(request.params as IdParams).infoHash),
  )

  app.delete(`${base}/:infoHash`, { schema: removeSchema }, async (request, reply) => {
    const { infoHash } = detail(request.params as IdParams)
    const { deleteData } = request.query as { deleteData: boolean }
    await api.torrents.remove(infoHash, deleteData)
    return reply.status(204).send()
  })
}

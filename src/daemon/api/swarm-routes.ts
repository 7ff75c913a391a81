import type { FastifyInstance } from 'fastify'
import { ApiError } from './api-error.js'
import { idParams } from './schemas.js'
import { API_PREFIX, type ApiOptions } from './options.js'
import { pieceMapOf, pieceSourceOf, swarmPeersOf } from './swarm-view.js'

interface IdParams {
  readonly infoHash: string
}

const error = { $ref: 'Error#' } as const
const number = { type: 'number', minimum: 0 } as const
const integer = { type: 'integer', minimum: 0 } as const
const flag = { type: 'boolean' } as const
const answers = (ok: object) => ({
  200: ok,
  400: { description: 'malformed request', ...error },
  401: { description: 'missing or wrong token', ...error },
  404: { description: 'no such torrent', ...error },
})

const piecesSchema = {
  tags: ['torrents'],
  summary: "A torrent's piece map: each piece's state and availability (for the dashboard)",
  description:
    '`states` has one character per piece: 0 missing, 1 partly downloaded, 2 being hashed, ' +
    '3 verified; `availability` counts the connected peers that have each piece. `live` is ' +
    'false (and both empty) while the torrent has no running swarm (paused, error, metadata).',
  params: idParams,
  response: answers({
    type: 'object',
    required: ['live', 'pieces', 'states', 'availability'],
    properties: {
      live: flag,
      pieces: integer,
      states: { type: 'string', pattern: '^[0-3]*$' },
      availability: { type: 'array', items: integer },
    },
  }),
} as const

const swarmPeer = {
  type: 'object',
  required: [
    'address',
    'outbound',
    'fast',
    'amChoking',
    'amInterested',
    'peerChoking',
    'peerInterested',
    'snubbed',
    'seed',
    'progress',
    'downloadRate',
    'uploadRate',
    'downloadedBytes',
    'uploadedBytes',
    'requests',
    'queued',
  ],
  properties: {
    address: { type: 'string' },
    client: { type: 'string' },
    outbound: flag,
    fast: flag,
    amChoking: flag,
    amInterested: flag,
    peerChoking: flag,
    peerInterested: flag,
    snubbed: flag,
    seed: flag,
    progress: { type: 'number', minimum: 0, maximum: 1 },
    downloadRate: number,
    uploadRate: number,
    downloadedBytes: integer,
    uploadedBytes: integer,
    requests: { ...integer, description: 'our requests outstanding to the peer' },
    queued: { ...integer, description: 'its requests queued with us' },
  },
} as const

const swarmPeersSchema = {
  tags: ['torrents'],
  summary: "A torrent's open connections with their BEP 3 flags (for the dashboard)",
  params: idParams,
  response: answers({
    type: 'object',
    required: ['peers'],
    properties: { peers: { type: 'array', items: swarmPeer } },
  }),
} as const

/** The swarm as the dashboard draws it: piece map and peer flags of one torrent. */
export function registerSwarmRoutes(app: FastifyInstance, api: ApiOptions): void {
  const base = `${API_PREFIX}/torrents/:infoHash`
  const find = (params: IdParams) => {
    const infoHash = params.infoHash.toLowerCase()
    const status = api.peer.torrent(infoHash)
    if (status === undefined) throw new ApiError(404, 'not_found', `no torrent ${infoHash}`)
    return { status, view: api.peer.swarmView(infoHash) }
  }

  app.get(`${base}/pieces`, { schema: piecesSchema }, (request) => {
    const { status, view } = find(request.params as IdParams)
    if (view === undefined)
      return { live: false, pieces: status.pieces, states: '', availability: [] }
    return { live: true, ...pieceMapOf(pieceSourceOf(view), status.pieces) }
  })

  app.get(`${base}/swarm`, { schema: swarmPeersSchema }, (request) => {
    const { status, view } = find(request.params as IdParams)
    return { peers: view === undefined ? [] : swarmPeersOf(view.peers, status.pieces) }
  })
}

import type { FastifyInstance } from 'fastify'
import { API_PREFIX, type ApiOptions } from './options.js'

const error = { $ref: 'Error#' } as const
const count = { type: 'integer', minimum: 0 } as const

const bucketsSchema = {
  tags: ['node'],
  summary: "The DHT routing table's buckets: nodes by state, replacements (for the dashboard)",
  description:
    'One entry per bucket, by shared prefix length with our id. A node is good when it ' +
    'answered (or queried us) in the last 15 minutes, bad after failing twice, else ' +
    'questionable (BEP 5). `enabled` is false, and `buckets` empty, without a DHT.',
  response: {
    200: {
      type: 'object',
      required: ['enabled', 'buckets'],
      properties: {
        enabled: { type: 'boolean' },
        buckets: {
          type: 'array',
          items: {
            type: 'object',
            required: [
              'index',
              'capacity',
              'nodes',
              'good',
              'questionable',
              'bad',
              'replacements',
              'lastChangedMsAgo',
            ],
            properties: {
              index: count,
              capacity: count,
              nodes: count,
              good: count,
              questionable: count,
              bad: count,
              replacements: count,
              lastChangedMsAgo: count,
            },
          },
        },
      },
    },
    401: { description: 'missing or wrong token', ...error },
  },
} as const

/** GET /api/v1/dht/buckets: the routing table as the dashboard's DHT view draws it. */
export function registerDhtRoutes(app: FastifyInstance, api: ApiOptions): void {
  app.get(`${API_PREFIX}/dht/buckets`, { schema: bucketsSchema }, () => {
    const buckets = api.peer.dhtBuckets()
    return buckets === undefined ? { enabled: false, buckets: [] } : { enabled: true, buckets }
  })
}

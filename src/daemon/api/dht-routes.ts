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

const lookupsSchema = {
  tags: ['node'],
  summary: "The DHT's last finished operations with their hop-by-hop traces (for the dashboard)",
  description:
    'Newest first, at most 50: lookups, announces, BEP 44 gets and puts, pings, bootstraps and ' +
    'bucket refreshes, each with the nodes it queried and how many answered at each depth of ' +
    'the iterative lookup. Operations abandoned at shutdown are not listed. `enabled` is ' +
    'false, and `lookups` empty, without a DHT.',
  response: {
    200: {
      type: 'object',
      required: ['enabled', 'lookups'],
      properties: {
        enabled: { type: 'boolean' },
        lookups: {
          type: 'array',
          items: {
            type: 'object',
            required: [
              'seq',
              'kind',
              'target',
              'finishedMsAgo',
              'durationMs',
              'hops',
              'nodesContacted',
              'messages',
              'perHop',
              'peersFound',
              'stored',
            ],
            properties: {
              seq: { ...count, description: 'counts up from 1 as operations finish' },
              kind: {
                type: 'string',
                enum: [
                  'bootstrap',
                  'find_node',
                  'get_peers',
                  'announce',
                  'get',
                  'put_immutable',
                  'put_mutable',
                  'ping',
                  'refresh',
                ],
              },
              target: { type: 'string', description: 'the target id, hex' },
              finishedMsAgo: count,
              durationMs: count,
              hops: { ...count, description: 'depth + 1 of the closest node that answered' },
              nodesContacted: count,
              messages: { ...count, description: 'queries sent, the store phase included' },
              perHop: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['depth', 'queried', 'answered'],
                  properties: { depth: count, queried: count, answered: count },
                },
              },
              peersFound: count,
              stored: { ...count, description: 'announce / put: nodes that acknowledged' },
            },
          },
        },
      },
    },
    401: { description: 'missing or wrong token', ...error },
  },
} as const

const ago = { ...count, description: 'milliseconds ago' } as const

const storedSchema = {
  tags: ['node'],
  summary: 'What other nodes stored on our DHT node: announced swarms and BEP 44 items',
  description:
    'Swarms other nodes announced to us (BEP 5 announce_peer; seeds per BEP 33) and BEP 44 ' +
    'items they put on us (the values themselves are not listed), each newest first and at ' +
    'most 200; `swarmsTotal` and `itemsTotal` count all held. `enabled` is false, and the ' +
    'lists empty, without a DHT.',
  response: {
    200: {
      type: 'object',
      required: ['enabled', 'swarms', 'swarmsTotal', 'items', 'itemsTotal'],
      properties: {
        enabled: { type: 'boolean' },
        swarms: {
          type: 'array',
          items: {
            type: 'object',
            required: ['infoHash', 'peers', 'seeds', 'oldestAnnounceMsAgo', 'newestAnnounceMsAgo'],
            properties: {
              infoHash: { type: 'string', description: 'hex' },
              peers: { ...count, description: 'live peers held, seeds included' },
              seeds: count,
              oldestAnnounceMsAgo: ago,
              newestAnnounceMsAgo: ago,
            },
          },
        },
        swarmsTotal: count,
        items: {
          type: 'array',
          items: {
            type: 'object',
            required: ['target', 'mutable', 'valueBytes', 'storedMsAgo'],
            properties: {
              target: { type: 'string', description: 'hex' },
              mutable: { type: 'boolean' },
              publicKey: { type: 'string', description: 'mutable items: ed25519 key, hex' },
              seq: { ...count, description: 'mutable items: sequence number' },
              saltBytes: { ...count, description: 'mutable items with a salt: its length' },
              valueBytes: { ...count, description: "the bencoded value's length" },
              storedMsAgo: { ...count, description: 'since the last put of this target' },
            },
          },
        },
        itemsTotal: count,
      },
    },
    401: { description: 'missing or wrong token', ...error },
  },
} as const

/**
 * GET /api/v1/dht/buckets: the routing table as the dashboard's DHT view draws it;
 * GET /api/v1/dht/lookups: the last operations with their traces;
 * GET /api/v1/dht/stored: what other nodes stored on us.
 */
export function registerDhtRoutes(app: FastifyInstance, api: ApiOptions): void {
  app.get(`${API_PREFIX}/dht/buckets`, { schema: bucketsSchema }, () => {
    const buckets = api.peer.dhtBuckets()
    return buckets === undefined ? { enabled: false, buckets: [] } : { enabled: true, buckets }
  })
  app.get(`${API_PREFIX}/dht/lookups`, { schema: lookupsSchema }, () => {
    const lookups = api.peer.dhtLookups()
    return lookups === undefined ? { enabled: false, lookups: [] } : { enabled: true, lookups }
  })
  app.get(`${API_PREFIX}/dht/stored`, { schema: storedSchema }, () => {
    const stored = api.peer.dhtStored()
    return stored === undefined
      ? { enabled: false, swarms: [], swarmsTotal: 0, items: [], itemsTotal: 0 }
      : { enabled: true, ...stored }
  })
}

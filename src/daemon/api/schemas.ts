/**
 * JSON schemas of the API's requests and answers: Fastify validates requests with them,
 * serialises answers through them, and @fastify/swagger builds docs/openapi.json from them.
 * Keys follow docs/cli.md's JSON vocabulary.
 */
import { answersOver, COMMON_REFUSALS, integer, ref, string } from './schema-parts.js'

const infoHash = {
  type: 'string',
  pattern: '^[0-9a-fA-F]{40}$',
  description: "a torrent's v1 info-hash, 40 hex digits",
} as const

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['type', 'code', 'message'],
  properties: { type: { type: 'string', enum: ['error'] }, code: string, message: string },
} as const

export const torrentStatusSchema = {
  $id: 'TorrentStatus',
  type: 'object',
  required: [
    'infoHash',
    'name',
    'state',
    'saveDir',
    'length',
    'verifiedBytes',
    'pieces',
    'piecesVerified',
    'downloadedBytes',
    'uploadedBytes',
    'downloadRate',
    'uploadRate',
    'peers',
    'complete',
  ],
  properties: {
    infoHash: string,
    name: string,
    state: {
      type: 'string',
      enum: ['fetching_metadata', 'checking', 'downloading', 'seeding', 'paused', 'error'],
    },
    saveDir: string,
    length: integer,
    verifiedBytes: integer,
    pieces: integer,
    piecesVerified: integer,
    downloadedBytes: integer,
    uploadedBytes: integer,
    downloadRate: { type: 'number', minimum: 0 },
    uploadRate: { type: 'number', minimum: 0 },
    peers: integer,
    complete: { type: 'boolean' },
    error: string,
  },
} as const

export const fileSchema = {
  $id: 'TorrentFile',
  type: 'object',
  required: ['index', 'path', 'length', 'priority', 'verifiedBytes'],
  properties: {
    index: integer,
    path: string,
    length: integer,
    priority: { type: 'integer', minimum: 0, maximum: 7 },
    verifiedBytes: integer,
    pad: { type: 'boolean' },
  },
} as const

export const peerSchema = {
  $id: 'TorrentPeer',
  type: 'object',
  required: ['address', 'downloadRate', 'uploadRate', 'downloadedBytes', 'uploadedBytes'],
  properties: {
    address: string,
    client: string,
    downloadRate: { type: 'number', minimum: 0 },
    uploadRate: { type: 'number', minimum: 0 },
    downloadedBytes: integer,
    uploadedBytes: integer,
  },
} as const

export const trackerSchema = {
  $id: 'TorrentTracker',
  type: 'object',
  required: ['url', 'tier'],
  properties: { url: string, tier: integer, message: string },
} as const

export const torrentDetailSchema = {
  $id: 'TorrentDetail',
  type: 'object',
  required: [...torrentStatusSchema.required, 'pieceLength', 'files', 'peerList', 'trackers'],
  properties: {
    ...torrentStatusSchema.properties,
    pieceLength: integer,
    files: { type: 'array', items: { $ref: 'TorrentFile#' } },
    peerList: { type: 'array', items: { $ref: 'TorrentPeer#' } },
    trackers: { type: 'array', items: { $ref: 'TorrentTracker#' } },
    webSeeds: {
      type: 'array',
      description: 'BEP 19 web seeds (url-list) and what each delivered',
      items: {
        type: 'object',
        required: ['url', 'phase', 'downloadRate', 'downloadedBytes'],
        properties: {
          url: string,
          phase: { type: 'string', enum: ['ready', 'backing_off', 'failed', 'banned'] },
          downloadRate: { type: 'number', minimum: 0 },
          downloadedBytes: integer,
          error: string,
        },
      },
    },
  },
} as const

/** What PUT /settings may change while the daemon runs. */
const changeableSettings = {
  uploadRateLimit: { ...integer, description: 'bytes per second, 0 = unlimited' },
  downloadRateLimit: { ...integer, description: 'bytes per second, 0 = unlimited' },
  connectionsMax: {
    type: 'integer',
    minimum: 1,
    description: 'peer connections at most, shared by the running torrents',
  },
  listenPort: {
    type: 'integer',
    minimum: 0,
    maximum: 65535,
    description:
      'the peer listen port (0 picks one): the new listener opens first (a port in use answers ' +
      '409 and changes nothing), then running torrents reopen and announce it',
  },
  dhtEnabled: {
    type: 'boolean',
    description:
      "start or stop the DHT node (with the config file's [dht] port and bootstrap); running " +
      'torrents reopen to use it or stop asking it',
  },
} as const

export const limitsSchema = {
  $id: 'Settings',
  type: 'object',
  required: ['uploadRateLimit', 'downloadRateLimit', 'connectionsMax', 'listenPort', 'dhtEnabled'],
  properties: {
    ...changeableSettings,
    dhtPort: { ...integer, description: 'read only, with the DHT: its UDP port' },
  },
} as const

export const sharedSchemas = [
  errorSchema,
  torrentStatusSchema,
  fileSchema,
  peerSchema,
  trackerSchema,
  torrentDetailSchema,
  limitsSchema,
] as const

const withRefusals = answersOver(COMMON_REFUSALS)

export const idParams = {
  type: 'object',
  required: ['infoHash'],
  properties: { infoHash },
  additionalProperties: false,
} as const

const selection = {
  type: 'array',
  items: { type: 'integer', minimum: 0 },
  maxItems: 100_000,
  description: 'file indexes as `plexus info` lists them (pad files left out)',
} as const

const addOptions = {
  paused: { type: 'boolean', default: false },
  saveDir: { type: 'string', maxLength: 4096, description: 'a folder inside the download dir' },
  only: selection,
  skip: selection,
  sequential: {
    type: 'boolean',
    default: false,
    description: 'download pieces in order, for streaming (default: rarest first)',
  },
} as const

export const addSchema = {
  tags: ['torrents'],
  summary: 'Add a torrent: a .torrent upload, a magnet link, or a directory search result',
  description:
    'Send the .torrent as the raw body (`application/x-bittorrent`, options in the query ' +
    'string), or JSON with exactly one of `magnet` or `directory` + `infoHash`.',
  querystring: {
    type: 'object',
    properties: addOptions,
    additionalProperties: false,
  },
  body: {
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: {
            magnet: { type: 'string', maxLength: 16_384 },
            directory: {
              type: 'string',
              maxLength: 2048,
              description: 'a plexus directory, e.g. http://127.0.0.1:6969',
            },
            infoHash,
            ...addOptions,
          },
          additionalProperties: false,
        },
      },
      'application/x-bittorrent': {
        schema: { description: 'the .torrent file (at most 10 MiB)' },
      },
    },
  },
  response: withRefusals({
    201: { description: 'added', ...ref('TorrentStatus') },
    404: { description: 'the directory has no such torrent', ...ref('Error') },
    409: { description: 'the torrent is already added', ...ref('Error') },
    413: { description: 'body too large', ...ref('Error') },
    415: { description: 'neither JSON nor a .torrent', ...ref('Error') },
    422: { description: 'not a valid torrent, magnet, selection or saveDir', ...ref('Error') },
    502: { description: 'the directory did not deliver the .torrent', ...ref('Error') },
  }),
} as const

export const listSchema = {
  tags: ['torrents'],
  summary: 'Every torrent',
  response: withRefusals({
    200: {
      type: 'object',
      required: ['torrents'],
      properties: { torrents: { type: 'array', items: ref('TorrentStatus') } },
    },
  }),
} as const

const notFound = { 404: { description: 'no such torrent', ...ref('Error') } } as const

export const detailSchema = {
  tags: ['torrents'],
  summary: "One torrent's details",
  params: idParams,
  response: withRefusals({ 200: ref('TorrentDetail'), ...notFound }),
} as const

const filesAnswer = {
  type: 'object',
  required: ['files'],
  properties: { files: { type: 'array', items: ref('TorrentFile') } },
} as const

export const filesSchema = {
  tags: ['torrents'],
  summary: "A torrent's files with their priorities (empty until the metadata is known)",
  params: idParams,
  response: withRefusals({ 200: filesAnswer, ...notFound }),
} as const

export const setFilesSchema = {
  tags: ['torrents'],
  summary: 'Set every file priority: 0 skips a file, 1..7, 4 the default',
  params: idParams,
  body: {
    type: 'object',
    required: ['priorities'],
    properties: {
      priorities: {
        type: 'array',
        items: { type: 'integer', minimum: 0, maximum: 7 },
        maxItems: 100_000,
      },
    },
    additionalProperties: false,
  },
  response: withRefusals({
    200: filesAnswer,
    ...notFound,
    409: { description: 'the metadata is not known yet', ...ref('Error') },
    422: { description: 'not one priority per file', ...ref('Error') },
  }),
} as const

export const peersSchema = {
  tags: ['torrents'],
  summary: "A torrent's connected peers",
  params: idParams,
  response: withRefusals({
    200: {
      type: 'object',
      required: ['peers'],
      properties: { peers: { type: 'array', items: ref('TorrentPeer') } },
    },
    ...notFound,
  }),
} as const

export const trackersSchema = {
  tags: ['torrents'],
  summary: "A torrent's trackers",
  params: idParams,
  response: withRefusals({
    200: {
      type: 'object',
      required: ['trackers'],
      properties: { trackers: { type: 'array', items: ref('TorrentTracker') } },
    },
    ...notFound,
  }),
} as const

export const pauseSchema = (summary: string) =>
  ({
    tags: ['torrents'],
    summary,
    params: idParams,
    response: withRefusals({ 200: ref('TorrentStatus'), ...notFound }),
  }) as const

export const removeSchema = {
  tags: ['torrents'],
  summary: 'Remove a torrent (its resume data always; its files with deleteData=true)',
  params: idParams,
  querystring: {
    type: 'object',
    properties: { deleteData: { type: 'boolean', default: false } },
    additionalProperties: false,
  },
  response: withRefusals({ 204: { description: 'removed', type: 'null' }, ...notFound }),
} as const

export const dhtSchema = {
  tags: ['node'],
  summary: "The DHT node's status",
  response: withRefusals({
    200: {
      type: 'object',
      required: ['enabled'],
      properties: {
        enabled: { type: 'boolean' },
        address: string,
        address6: { ...string, description: 'the IPv6 socket of a dual-stack node (BEP 32)' },
        id: string,
        nodes: { ...integer, description: 'nodes in the routing tables, both families' },
        nodes6: { ...integer, description: "of those, the IPv6 table's (dual-stack only)" },
        lookups: { ...integer, description: 'DHT operations started since the node started' },
        lookupsInFlight: { ...integer, description: 'DHT operations running now' },
        peersStored: { ...integer, description: 'peers other nodes announced to us, held now' },
        itemsStored: { ...integer, description: 'BEP 44 items other nodes put on us, held now' },
      },
    },
  }),
} as const

export const pluginsSchema = {
  tags: ['node'],
  summary: 'The plug-ins the peer runs (Gnutella, ...), each with its status()',
  response: withRefusals({
    200: {
      type: 'object',
      required: ['plugins'],
      properties: {
        plugins: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'status'],
            properties: {
              name: { type: 'string' },
              status: {
                type: 'object',
                additionalProperties: true,
                description: "the plug-in's own status(): JSON, its shape is the plug-in's",
              },
            },
          },
        },
      },
    },
  }),
} as const

export const getSettingsSchema = {
  tags: ['node'],
  summary: 'Peer-wide settings: the global rate limits, the connection limit, ports and DHT',
  response: withRefusals({ 200: ref('Settings') }),
} as const

export const putSettingsSchema = {
  tags: ['node'],
  summary:
    'Change the global rate limits, the connection limit, the listen port or the DHT (for ' +
    'this run; the config file keeps the defaults); only the fields given change',
  body: {
    type: 'object',
    properties: changeableSettings,
    additionalProperties: false,
  },
  response: withRefusals({
    200: ref('Settings'),
    409: { description: 'the listen port or the DHT port is in use', ...ref('Error') },
  }),
} as const

export const eventsSchema = {
  tags: ['node'],
  summary: 'Live updates as server-sent events',
  description:
    'Each event is `event: <type>` and `data: <JSON>`: the peer events (torrent_added, ' +
    'torrent_removed, torrent_state, torrent_completed, torrent_checkpointed, fatal) and a ' +
    '`stats` event at once and then periodically: `{type, downloadRate, uploadRate, peers, torrents}`.',
  produces: ['text/event-stream'],
  response: {
    ...COMMON_REFUSALS,
    200: {
      description: 'an endless text/event-stream',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    },
  },
} as const

export const metricsSchema = {
  tags: ['node'],
  summary: 'Prometheus metrics (text exposition format)',
  response: {
    ...COMMON_REFUSALS,
    200: {
      description: 'the metrics',
      content: { 'text/plain': { schema: { type: 'string' } } },
    },
  },
} as const

/**
 * JSON schemas of the Gnutella routes (/api/v1/gnutella...), in the pattern of schemas.ts:
 * Fastify validates requests and serialises answers with them, and docs/openapi.json is built
 * from them. `gnutellaSchemas` are registered by the routes themselves.
 */
import { answersOver, integer, pluginRefusals, ref, string } from './schema-parts.js'

const role = { type: 'string', enum: ['peer', 'ultrapeer', 'leaf'] } as const

const withRefusals = answersOver(
  pluginRefusals('gnutella', 'the servent is restarting (a promotion) or stopping'),
)

export const gnutellaHitSchema = {
  $id: 'GnutellaHit',
  type: 'object',
  description: 'one file as the QueryHits describe it, with every servent that offers it',
  required: ['index', 'name', 'length', 'speed', 'sources', 'firewalledSources'],
  properties: {
    index: { type: 'integer', minimum: 1, description: 'what POST /gnutella/downloads takes' },
    name: string,
    length: integer,
    urn: { type: 'string', description: 'urn:sha1:<base32>; a hit without one cannot be fetched' },
    speed: { ...integer, description: "the fastest source's advertised speed, kb/s" },
    sources: { type: 'array', items: { type: 'string', description: 'host:port' } },
    firewalledSources: {
      type: 'array',
      items: { type: 'string', description: 'host:port' },
      description: 'servents whose hits say they are firewalled: a download from them goes by Push',
    },
  },
} as const

export const gnutellaDownloadSchema = {
  $id: 'GnutellaDownload',
  type: 'object',
  required: ['id', 'name', 'length', 'urn', 'sources', 'state', 'downloadedBytes'],
  properties: {
    id: string,
    name: string,
    length: integer,
    urn: string,
    sources: { type: 'array', items: string },
    state: { type: 'string', enum: ['downloading', 'completed', 'failed'] },
    downloadedBytes: integer,
    path: { type: 'string', description: 'once completed: the SHA-1-verified file' },
    droppedSources: { type: 'array', items: string },
    error: string,
  },
} as const

export const gnutellaSchemas = [gnutellaHitSchema, gnutellaDownloadSchema] as const

export const gnutellaStatusSchema = {
  tags: ['gnutella'],
  summary: "The Gnutella servent's status",
  response: withRefusals({
    200: {
      type: 'object',
      required: ['enabled'],
      properties: {
        enabled: { type: 'boolean' },
        state: {
          type: 'string',
          enum: ['running', 'restarting', 'stopped'],
          description: '`restarting` while a promotion to ultrapeer restarts the servent',
        },
        role,
        address: string,
        connections: integer,
        neighbours: {
          type: 'array',
          items: {
            type: 'object',
            required: ['address', 'role'],
            properties: { address: string, role },
          },
        },
        sharedFiles: integer,
        sharedBytes: integer,
        queriesReceived: integer,
        searches: integer,
        downloads: { ...integer, description: 'downloads in progress' },
        uploads: {
          type: 'object',
          required: ['active', 'queued'],
          properties: { active: integer, queued: integer },
        },
      },
    },
  }),
} as const

const searchId = {
  type: 'string',
  pattern: '^[0-9a-f]{32}$',
  description: 'the query GUID',
} as const

const searchAnswer = {
  type: 'object',
  required: ['id', 'words', 'startedAt', 'hits'],
  properties: {
    id: searchId,
    words: string,
    startedAt: { ...integer, description: 'milliseconds since the Unix epoch' },
    hits: { type: 'array', items: ref('GnutellaHit') },
  },
} as const

export const startSearchSchema = {
  tags: ['gnutella'],
  summary: 'Start a search; poll GET /gnutella/searches/{id} for the hits',
  body: {
    type: 'object',
    required: ['words'],
    properties: {
      words: {
        type: 'string',
        minLength: 1,
        maxLength: 256,
        pattern: '\\S',
        description: 'keywords; every word must match',
      },
    },
    additionalProperties: false,
  },
  response: withRefusals({ 201: searchAnswer }),
} as const

const searchParams = {
  type: 'object',
  required: ['id'],
  properties: { id: searchId },
  additionalProperties: false,
} as const

export const searchHitsSchema = {
  tags: ['gnutella'],
  summary: 'A search and its hits so far, grouped by file',
  params: searchParams,
  response: withRefusals({
    200: searchAnswer,
    404: { description: 'no such search (or forgotten: the oldest go first)', ...ref('Error') },
  }),
} as const

export const startDownloadSchema = {
  tags: ['gnutella'],
  summary: 'Download one hit from all its sources at once into the download dir',
  body: {
    type: 'object',
    required: ['search', 'index'],
    properties: {
      search: searchId,
      index: { type: 'integer', minimum: 1, description: 'a hit index of that search' },
    },
    additionalProperties: false,
  },
  response: withRefusals({
    202: { description: 'started', ...ref('GnutellaDownload') },
    404: { description: 'no such search or hit', ...ref('Error') },
    422: { description: 'the hit has no urn:sha1 or no source', ...ref('Error') },
  }),
} as const

export const listDownloadsSchema = {
  tags: ['gnutella'],
  summary: 'Gnutella downloads, running and finished',
  response: withRefusals({
    200: {
      type: 'object',
      required: ['downloads'],
      properties: { downloads: { type: 'array', items: ref('GnutellaDownload') } },
    },
  }),
} as const

export const sharedFilesSchema = {
  tags: ['gnutella'],
  summary: 'The files the servent shares (its shared folder, hashed at start)',
  response: withRefusals({
    200: {
      type: 'object',
      required: ['files'],
      properties: {
        files: {
          type: 'array',
          items: {
            type: 'object',
            required: ['path', 'length', 'urn'],
            properties: { path: string, length: integer, urn: string },
          },
        },
      },
    },
  }),
} as const

export const listSearchesSchema = {
  tags: ['gnutella'],
  summary: 'Our recent searches, newest first, with how many files their hits offer',
  response: withRefusals({
    200: {
      type: 'object',
      required: ['searches'],
      properties: {
        searches: {
          type: 'array',
          items: {
            type: 'object',
            required: ['id', 'words', 'startedAt', 'hits'],
            properties: {
              id: string,
              words: string,
              startedAt: { type: 'number', description: 'ms since the epoch' },
              hits: integer,
            },
          },
        },
      },
    },
  }),
} as const

import type { preValidationHookHandler } from 'fastify'
import { SEARCH_LIMIT_MAX, SORT_COLUMNS, type SortColumn, type SortOrder } from './index-db.js'

/**
 * JSON schemas of the directory's API (docs/protocols/directory.md, "HTTP API"): Fastify
 * validates requests against them and serializes responses through them. A parameter that
 * fails is refused with 400 and the words in `INVALID` (the wording the hand-written checks
 * used). Every response property is listed and required, so a field the index adds or drops
 * fails loudly in the tests instead of vanishing from the API.
 */

export const PAGE_SIZE = 50
/** Search text beyond this is ignored (the query builder keeps 16 terms anyway). */
const QUERY_CHARS_MAX = 512
const PAGE_MAX = 2000
const FILE_PAGE_MAX = 1_000_000_000

/** Integers in the query: 1..max; empty means the default (see `emptyMeansDefault`). */
const integer = (maximum: number) => ({ type: 'integer', minimum: 1, maximum }) as const

/** The search API and the list page take the same parameters; the page shows 50 at most. */
const listQuerySchema = (limitMax: number) =>
  ({
    type: 'object',
    properties: {
      q: { type: 'string' },
      sort: { type: 'string', enum: SORT_COLUMNS },
      order: { type: 'string', enum: ['asc', 'desc'] },
      page: integer(PAGE_MAX),
      limit: integer(limitMax),
    },
  }) as const

export const searchQuerySchema = listQuerySchema(SEARCH_LIMIT_MAX)
export const listPageQuerySchema = listQuerySchema(PAGE_SIZE)

export const filePageQuerySchema = {
  type: 'object',
  properties: { file_page: integer(FILE_PAGE_MAX) },
} as const

export const publishQuerySchema = {
  type: 'object',
  properties: { uploader: { type: 'string' } },
} as const

export const infoHashParamsSchema = {
  type: 'object',
  properties: { hash: { type: 'string', pattern: '^[0-9a-fA-F]{40}$' } },
  required: ['hash'],
} as const

const INTEGER_PARAMS = ['page', 'limit', 'file_page'] as const

/** Integer parameters sent empty (`?page=`) take their default, as they always have. */
export const emptyMeansDefault: preValidationHookHandler = (request, _reply, done) => {
  const query = request.query as Record<string, unknown>
  for (const key of INTEGER_PARAMS) if (query[key] === '') delete query[key]
  done()
}

/** What a bad parameter is told (the API's words; the pages add a capital and a period). */
export const invalidMessages = (limitMax: number) =>
  ({
    sort: `sort must be one of ${SORT_COLUMNS.join(', ')}`,
    order: 'order must be asc or desc',
    page: `page must be an integer 1..${PAGE_MAX}`,
    limit: `limit must be an integer 1..${limitMax}`,
    file_page: 'file_page must be an integer',
    hash: 'expected a 40-hex-digit info-hash',
  }) as const

export interface ListQueryText {
  readonly q?: string
  readonly sort?: SortColumn
  readonly order?: SortOrder
  readonly page?: number
  readonly limit?: number
}

export interface ListQuery {
  readonly q: string
  readonly sort: SortColumn
  readonly order: SortOrder
  readonly page: number
  readonly limit: number
}

/** Defaults for what the schema let through: newest first, except names A to Z. */
export function listQuery(query: ListQueryText): ListQuery {
  const sort = query.sort ?? 'added'
  return {
    q: (query.q ?? '').slice(0, QUERY_CHARS_MAX),
    sort,
    order: query.order ?? (sort === 'name' ? 'asc' : 'desc'),
    page: query.page ?? 1,
    limit: query.limit ?? PAGE_SIZE,
  }
}

const count = { type: 'integer' } as const
const text = { type: 'string' } as const

const countsProperties = { seeders: count, leechers: count, completed: count } as const

const summaryProperties = {
  infoHash: text,
  name: text,
  length: count,
  fileCount: count,
  added: count,
  uploader: text,
  magnet: text,
  ...countsProperties,
} as const

const object = <P extends Record<string, unknown>>(properties: P) =>
  ({ type: 'object', properties, required: Object.keys(properties) }) as const

const detailProperties = {
  ...summaryProperties,
  pieceLength: count,
  files: { type: 'array', items: object({ path: text, length: count }) },
  filePage: count,
  filePages: count,
} as const

const errorSchema = {
  type: 'object',
  properties: { error: text, filesMax: count },
  required: ['error'],
} as const

export const searchResponseSchema = {
  200: object({
    query: text,
    sort: text,
    order: text,
    page: count,
    limit: count,
    results: { type: 'array', items: object(summaryProperties) },
    hasMore: { type: 'boolean' },
  }),
  '4xx': errorSchema,
} as const

export const detailResponseSchema = {
  200: object({
    ...detailProperties,
    live: object(countsProperties),
    samples: { type: 'array', items: object({ at: count, seeders: count, leechers: count }) },
  }),
  '4xx': errorSchema,
} as const

const published = object({ created: { type: 'boolean' }, torrent: object(detailProperties) })

export const publishResponseSchema = {
  200: published,
  201: published,
  '4xx': errorSchema,
} as const

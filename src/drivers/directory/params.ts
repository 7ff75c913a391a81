import { SORT_COLUMNS, type SortColumn, type SortOrder } from './index-db.js'

/** Query-string values for the list page and the search API, checked. */
export interface ListQuery {
  readonly q: string
  readonly sort: SortColumn
  readonly order: SortOrder
  readonly page: number
  readonly limit: number
}

export const PAGE_SIZE = 50
/** Search text beyond this is ignored (the query builder keeps 16 terms anyway). */
const QUERY_CHARS_MAX = 512
const PAGE_MAX = 2000

const isSort = (text: string): text is SortColumn =>
  (SORT_COLUMNS as readonly string[]).includes(text)

/** Parses list parameters; a message for the user on a bad value. */
export function listQuery(
  params: URLSearchParams,
  limitMax: number,
): { ok: true; value: ListQuery } | { ok: false; error: string } {
  const q = (params.get('q') ?? '').slice(0, QUERY_CHARS_MAX)
  const sortText = params.get('sort') ?? 'added'
  if (!isSort(sortText))
    return { ok: false, error: `sort must be one of ${SORT_COLUMNS.join(', ')}` }
  const orderText = params.get('order') ?? (sortText === 'name' ? 'asc' : 'desc')
  if (orderText !== 'asc' && orderText !== 'desc') {
    return { ok: false, error: 'order must be asc or desc' }
  }
  const page = integer(params.get('page'), 1, PAGE_MAX)
  if (page === undefined) return { ok: false, error: `page must be an integer 1..${PAGE_MAX}` }
  const limit = integer(params.get('limit'), 1, limitMax, PAGE_SIZE)
  if (limit === undefined) return { ok: false, error: `limit must be an integer 1..${limitMax}` }
  return { ok: true, value: { q, sort: sortText, order: orderText, page, limit } }
}

function integer(
  text: string | null,
  min: number,
  max: number,
  fallback = min,
): number | undefined {
  if (text === null || text === '') return fallback
  if (!/^\d{1,9}$/.test(text)) return undefined
  const value = Number(text)
  return value >= min && value <= max ? value : undefined
}

/** A 40-hex-digit info-hash in lowercase, or undefined. */
export function infoHashParam(text: string): string | undefined {
  return /^[0-9a-fA-F]{40}$/.test(text) ? text.toLowerCase() : undefined
}

/** `?file_page=` (1-based page of a torrent's file list; 1 when absent), or undefined. */
export function filePageParam(params: URLSearchParams): number | undefined {
  return integer(params.get('file_page'), 1, 1_000_000_000)
}

/**
 * The directory's HTTP API from the command line's side: publish a .torrent, search, fetch a
 * .torrent. Errors are thrown as Errors with a message for the user.
 */

export interface SearchResult {
  readonly infoHash: string
  readonly name: string
  readonly length: number
  readonly fileCount: number
  readonly added: number
  readonly seeders: number
  readonly leechers: number
  readonly completed: number
  readonly uploader: string
  readonly magnet: string
}

export interface PublishAnswer {
  readonly created: boolean
  readonly torrent: SearchResult
}

/** The base URL without a trailing slash; refuses anything but http(s). */
export function directoryBase(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new Error(`--directory ${text}: not a URL (e.g. http://127.0.0.1:6969)`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`--directory ${text}: use an http:// or https:// URL`)
  }
  return url.href.replace(/\/+$/, '')
}

async function request(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init)
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message
    throw new Error(`cannot reach the directory at ${url}: ${cause ?? (error as Error).message}`)
  }
}

/** The `error` of a JSON error answer, or the status line. */
async function failure(response: Response): Promise<Error> {
  const text = await response.text().catch(() => '')
  try {
    const body = JSON.parse(text) as { error?: unknown }
    if (typeof body.error === 'string') return new Error(`directory: ${body.error}`)
  } catch {
    // Not JSON: fall through to the status.
  }
  return new Error(`directory answered HTTP ${response.status}`)
}

export async function publish(
  base: string,
  torrent: Uint8Array,
  uploader: string | undefined,
): Promise<PublishAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/x-bittorrent' }
  // Header values are Latin-1: a UTF-8 name travels percent-encoded (the server decodes it).
  if (uploader !== undefined) headers['x-uploader'] = encodeURIComponent(uploader)
  const response = await request(`${base}/api/torrents`, {
    method: 'POST',
    headers,
    body: torrent,
  })
  if (!response.ok) throw await failure(response)
  return (await response.json()) as PublishAnswer
}

export async function search(
  base: string,
  query: string,
  options: { sort?: string; order?: string; limit?: number },
): Promise<SearchResult[]> {
  const params = new URLSearchParams({ q: query })
  if (options.sort !== undefined) params.set('sort', options.sort)
  if (options.order !== undefined) params.set('order', options.order)
  if (options.limit !== undefined) params.set('limit', String(options.limit))
  const response = await request(`${base}/api/torrents?${params.toString()}`)
  if (!response.ok) throw await failure(response)
  const body = (await response.json()) as { results: SearchResult[] }
  return body.results
}

/** The .torrent as the directory serves it (its tracker first). */
export async function fetchTorrent(base: string, infoHash: string): Promise<Uint8Array> {
  const response = await request(`${base}/torrents/${infoHash}.torrent`)
  if (!response.ok) throw await failure(response)
  return new Uint8Array(await response.arrayBuffer())
}

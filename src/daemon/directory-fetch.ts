import { ApiError } from './api/api-error.js'

/** A .torrent larger than this is refused, as an upload would be. */
export const TORRENT_BYTES_MAX = 10 * 1024 * 1024
const FETCH_TIMEOUT_MS = 15_000

/** Fetches the .torrent a plexus directory serves for a search result. */
export type DirectoryFetch = (directory: string, infoHash: string) => Promise<Uint8Array>

/**
 * `GET <directory>/torrents/<infoHash>.torrent`, the route `plexus directory` serves (and
 * `plexus search --get` uses). Failures are ApiErrors: 422 for a URL the daemon will not use,
 * 502 when the directory does not deliver.
 */
export const fetchFromDirectory: DirectoryFetch = async (directory, infoHash) => {
  let base: URL
  try {
    base = new URL(directory)
  } catch {
    throw new ApiError(422, 'invalid_url', `directory ${directory}: not a URL`)
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new ApiError(422, 'invalid_url', `directory ${directory}: use an http(s) URL`)
  }
  const url = `${base.href.replace(/\/+$/, '')}/torrents/${infoHash}.torrent`
  let response: Response
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) })
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message
    throw new ApiError(502, 'directory_unreachable', `${url}: ${cause ?? (error as Error).message}`)
  }
  if (response.status === 404) {
    throw new ApiError(404, 'not_found', `the directory has no torrent ${infoHash}`)
  }
  if (!response.ok) {
    throw new ApiError(502, 'directory_failed', `${url}: HTTP ${response.status}`)
  }
  const declared = Number(response.headers.get('content-length') ?? '0')
  if (declared > TORRENT_BYTES_MAX) {
    await response.body?.cancel()
    throw new ApiError(502, 'directory_failed', `${url}: a .torrent of ${declared} bytes`)
  }
  const bytes = new Uint8Array(await response.arrayBuffer())
  if (bytes.length > TORRENT_BYTES_MAX) {
    throw new ApiError(502, 'directory_failed', `${url}: a .torrent of ${bytes.length} bytes`)
  }
  return bytes
}

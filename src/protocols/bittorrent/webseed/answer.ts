/**
 * What an HTTP answer to one Range request means for the web seed. Only the status, a few
 * headers and the body's length matter, so this takes the HttpClient port's answer as data:
 * - 206 with a Content-Range that starts at the asked offset, and a body of the asked length:
 *   the bytes. (200 with the whole file is accepted when the part is the whole file; a server
 *   that ignores Range otherwise cannot serve us, so that is permanent.)
 * - 301/302/303/307/308 with a Location: follow it (the caller bounds the hops).
 * - 408, 429 and 5xx: the server is busy or broken for now; retry, after Retry-After seconds
 *   when the server says so.
 * - every other status (404, 410, 403, 416...): this server will not serve the file; give up.
 */
import { ms, type Duration } from '../../../core/time.js'
import type { RunPart } from './ranges.js'

/** The fields of an HTTP answer that classification reads (HttpResponse has them). */
export interface WebSeedAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
}

export type AnswerVerdict =
  | { readonly kind: 'data'; readonly bytes: Uint8Array }
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'retry'; readonly reason: string; readonly after?: Duration }
  | { readonly kind: 'give_up'; readonly reason: string }

/** Retry-After beyond this is read as this: a seed is not parked for days by one answer. */
export const RETRY_AFTER_MAX = ms(3_600_000)

export function classifyAnswer(
  answer: WebSeedAnswer,
  part: RunPart,
  fileLength: number,
): AnswerVerdict {
  const { status, headers, body } = answer
  if (status === 206) {
    const start = contentRangeStart(headers['content-range'])
    if (start !== part.fileOffset) {
      return { kind: 'give_up', reason: `206 for the wrong range (${headers['content-range']})` }
    }
    if (body.length !== part.length) {
      return { kind: 'retry', reason: `206 with ${body.length} of ${part.length} bytes` }
    }
    return { kind: 'data', bytes: body }
  }
  if (status === 200) {
    if (part.fileOffset === 0 && part.length === fileLength && body.length === fileLength) {
      return { kind: 'data', bytes: body }
    }
    return { kind: 'give_up', reason: '200 for a range request (no Range support)' }
  }
  if (REDIRECTS.has(status)) {
    const location = headers['location']
    if (location === undefined || location === '') {
      return { kind: 'give_up', reason: `${status} without a Location` }
    }
    return { kind: 'redirect', location }
  }
  if (status === 408 || status === 429 || (status >= 500 && status <= 599)) {
    const after = retryAfterOf(headers['retry-after'])
    return after === undefined
      ? { kind: 'retry', reason: `HTTP ${status}` }
      : { kind: 'retry', reason: `HTTP ${status}`, after }
  }
  return { kind: 'give_up', reason: `HTTP ${status}` }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])

/** `bytes 100-199/1000` -> 100; undefined when absent or unreadable. */
function contentRangeStart(value: string | undefined): number | undefined {
  const match = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(value ?? '')
  return match === null ? undefined : Number(match[1])
}

/** Retry-After in seconds (the HTTP-date form is ignored: we have no wall clock here). */
function retryAfterOf(value: string | undefined): Duration | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined
  return ms(Math.min(Number(value) * 1000, RETRY_AFTER_MAX))
}

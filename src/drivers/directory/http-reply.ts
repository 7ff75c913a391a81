import type { ServerResponse } from 'node:http'

/**
 * Every answer the directory sends goes through here, so every one carries the same security
 * headers: a CSP that allows no script, no plugin, no frame and no remote anything (pages are
 * plain server-rendered HTML with one inline style block and an inline SVG), and nosniff so a
 * .torrent or JSON body is never sniffed into HTML.
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const

export function reply(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string | Uint8Array,
  extraHeaders: Readonly<Record<string, string>> = {},
): void {
  if (response.headersSent) return
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': contentType,
    'content-length': String(bytes.length),
    ...extraHeaders,
  })
  response.end(response.req.method === 'HEAD' ? undefined : bytes)
}

export const replyJson = (response: ServerResponse, status: number, value: unknown): void =>
  reply(response, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`)

export const replyError = (response: ServerResponse, status: number, message: string): void =>
  replyJson(response, status, { error: message })

export const replyHtml = (response: ServerResponse, status: number, page: string): void =>
  reply(response, status, 'text/html; charset=utf-8', page)

/** Tracker answers: HTTP 200, bencoded, as clients expect even for refusals. */
export const replyBencoded = (response: ServerResponse, body: Uint8Array): void =>
  reply(response, 200, 'text/plain', body, { 'cache-control': 'no-store' })

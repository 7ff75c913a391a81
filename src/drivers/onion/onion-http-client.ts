/**
 * The Env's `HttpClient` with every request carried by an onion circuit stream, for
 * `plexus get --anonymous`: web seeds (BEP 19) are fetched through an exit like peers and
 * trackers, never directly. node:http does the HTTP/1.1 over the stream the opener gives
 * (`createConnection`), TLS over that stream for https; one stream per request (keep-alive is
 * not kept across circuits). The body is collected up to the caller's cap, within its
 * deadline, as the direct client does.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { isIP } from 'node:net'
import { PassThrough, type Duplex } from 'node:stream'
import { connect as tlsConnect } from 'node:tls'
import type {
  Callback,
  HttpClient,
  HttpExchange,
  HttpRequest,
  HttpResponse,
} from '../../core/env.js'
import { OperationalError, type OperationalErrorCode } from '../../core/errors.js'
import { err, ok } from '../../core/result.js'
import type { StreamOpener } from './socks.js'

export class OnionHttpClient implements HttpClient {
  constructor(private readonly opener: StreamOpener) {}

  request(request: HttpRequest, done: Callback<HttpResponse>): HttpExchange {
    let url: URL | undefined
    try {
      url = new URL(request.url)
    } catch {
      url = undefined
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      let aborted = false
      setImmediate(() => {
        if (!aborted)
          done(err(new OperationalError('invalid_url', `${request.url}: not an http(s) URL`)))
      })
      return { abort: () => (aborted = true) }
    }
    const https = url.protocol === 'https:'
    const host = url.hostname.replace(/^\[|\]$/g, '')
    const port = Number(url.port || (https ? 443 : 80))
    const headers: Record<string, string> = { ...request.headers, connection: 'close' }
    if (request.body !== undefined) headers['content-length'] = String(request.body.length)
    const outgoing = httpRequest(url, {
      method: request.method ?? 'GET',
      headers,
      // No agent (not even `agent: false`, which makes a fresh one that dials directly):
      // node:http then takes its connection from createConnection alone.
      createConnection: (_options, ready: (error: Error | null, stream: Duplex) => void) => {
        this.opener.connect(host, port).then(
          (stream) => {
            // SNI carries names only (RFC 6066).
            const sni = isIP(host) === 0 ? { servername: host } : {}
            ready(null, https ? tlsConnect({ socket: stream, ...sni }) : stream)
          },
          // node:http reports the error and never touches the stream handed with it.
          (error: Error) => ready(error, new PassThrough().destroy()),
        )
        return undefined
      },
    })
    let settled = false
    const settle = (): boolean => {
      if (settled) return false
      settled = true
      clearTimeout(timer)
      outgoing.destroy()
      return true
    }
    const fail = (code: OperationalErrorCode, message: string): void => {
      if (settle()) done(err(new OperationalError(code, `${request.url}: ${message}`)))
    }
    const timer = setTimeout(
      () => fail('timeout', `no answer within ${request.timeout} ms`),
      request.timeout,
    )
    outgoing.on('error', (error) => fail('unreachable', error.message))
    outgoing.on('response', (response) =>
      collect(
        request,
        response,
        (answer) => {
          if (settle()) done(ok(answer))
        },
        fail,
      ),
    )
    outgoing.end(request.body === undefined ? undefined : Buffer.from(request.body))
    return { abort: () => void settle() }
  }
}

function collect(
  request: HttpRequest,
  response: IncomingMessage,
  finish: (response: HttpResponse) => void,
  fail: (code: OperationalErrorCode, message: string) => void,
): void {
  const tooLarge = (): void => fail('too_large', `answer above ${request.bodyBytesMax} bytes`)
  if (Number(response.headers['content-length'] ?? 0) > request.bodyBytesMax) return tooLarge()
  const chunks: Buffer[] = []
  let received = 0
  response.on('data', (chunk: Buffer) => {
    received += chunk.length
    if (received > request.bodyBytesMax) return tooLarge()
    chunks.push(chunk)
  })
  response.on('error', (error) => fail('reset', error.message))
  response.on('aborted', () => fail('reset', 'the answer was cut short'))
  response.on('end', () => {
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(response.headers))
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
    finish({
      status: response.statusCode ?? 0,
      headers,
      body: new Uint8Array(Buffer.concat(chunks)),
    })
  })
}

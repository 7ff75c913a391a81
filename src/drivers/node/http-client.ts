import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { isIP } from 'node:net'
import { isLoopback } from '../../core/address.js'
import type {
  Callback,
  HttpClient,
  HttpExchange,
  HttpRequest,
  HttpResponse,
} from '../../core/env.js'
import { OperationalError, type OperationalErrorCode } from '../../core/errors.js'
import { err, ok } from '../../core/result.js'
import { errorCode, loopbackOnlyFrom } from './udp.js'

export interface NodeHttpClientOptions {
  /** Refuse (as 'unreachable') any server off loopback; forced on by PLEXUS_TEST=1. */
  readonly loopbackOnly?: boolean
}

const ERRORS: Readonly<Record<string, OperationalErrorCode>> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ENOTFOUND: 'not_found',
  EAI_AGAIN: 'timeout',
  ETIMEDOUT: 'timeout',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  ENETDOWN: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
}

const codeOf = (error: Error): OperationalErrorCode => {
  const code = errorCode(error)
  // llhttp's parse errors (HPE_INVALID_STATUS, HPE_HEADER_OVERFLOW, ...): a broken answer.
  if (code.startsWith('HPE_')) return 'malformed'
  return ERRORS[code] ?? 'io'
}

/** Connections kept per server for `keepAlive` requests, busy and idle. */
const KEEP_ALIVE_SOCKETS_MAX = 8
/** An idle kept connection is closed after this (servers close theirs after 5-75 s). */
const KEEP_ALIVE_IDLE_MS = 15_000

/**
 * The HttpClient port over node:http and node:https: one request per connection (no agent,
 * so nothing lingers after the answer), or, for `keepAlive` requests, connections kept in an
 * agent's pool (its idle sockets are unref'd: they never hold the process). The body is
 * collected up to the caller's cap and the connection destroyed the moment the cap or the
 * deadline is passed.
 */
export class NodeHttpClient implements HttpClient {
  private readonly loopbackOnly: boolean
  private agents: { readonly http: HttpAgent; readonly https: HttpsAgent } | undefined

  constructor(options: NodeHttpClientOptions = {}) {
    this.loopbackOnly = loopbackOnlyFrom(options.loopbackOnly)
  }

  request(request: HttpRequest, done: Callback<HttpResponse>): HttpExchange {
    const target = this.target(request.url)
    if (target instanceof OperationalError) {
      let aborted = false
      setImmediate(() => {
        if (!aborted) done(err(target))
      })
      return { abort: () => (aborted = true) }
    }
    const keepAlive = request.keepAlive === true
    const headers: Record<string, string> = { ...request.headers }
    if (!keepAlive) headers['connection'] = 'close'
    if (request.body !== undefined) headers['content-length'] = String(request.body.length)
    const https = target.protocol === 'https:'
    const send = https ? httpsRequest : httpRequest
    const outgoing = send(target, {
      method: request.method ?? 'GET',
      headers,
      agent: keepAlive ? this.keepAliveAgent(https) : false,
      ...(this.loopbackOnly ? { lookup: loopbackLookup } : {}),
    })
    let settled = false
    /** `keep`: a whole answer on a kept connection, which goes back to the pool. */
    const settle = (keep = false): boolean => {
      if (settled) return false
      settled = true
      clearTimeout(timer)
      if (!keep) outgoing.destroy()
      return true
    }
    const finish = (response: HttpResponse): void => {
      if (settle(keepAlive)) done(ok(response))
    }
    const fail = (code: OperationalErrorCode, message: string): void => {
      if (settle()) done(err(new OperationalError(code, `${request.url}: ${message}`)))
    }
    const timer = setTimeout(
      () => fail('timeout', `no answer within ${request.timeout} ms`),
      request.timeout,
    )
    outgoing.on('error', (error) => fail(codeOf(error), error.message))
    outgoing.on('response', (response) => this.collect(request, response, finish, fail))
    outgoing.end(request.body === undefined ? undefined : Buffer.from(request.body))
    return { abort: () => void settle() }
  }

  private keepAliveAgent(https: boolean): HttpAgent {
    const options = {
      keepAlive: true,
      maxSockets: KEEP_ALIVE_SOCKETS_MAX,
      maxFreeSockets: KEEP_ALIVE_SOCKETS_MAX,
      timeout: KEEP_ALIVE_IDLE_MS,
    }
    this.agents ??= { http: new HttpAgent(options), https: new HttpsAgent(options) }
    return https ? this.agents.https : this.agents.http
  }

  /** The URL to request, or why there is none (checked before any I/O). */
  private target(text: string): URL | OperationalError {
    let url: URL
    try {
      url = new URL(text)
    } catch {
      return new OperationalError('invalid_url', `${text}: not a URL`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return new OperationalError('invalid_url', `${text}: scheme ${url.protocol} is not http(s)`)
    }
    const host = url.hostname.replace(/^\[|\]$/g, '')
    if (this.loopbackOnly && isIP(host) !== 0 && !isLoopback(host)) {
      return new OperationalError('unreachable', `${text}: refused, loopback-only mode (tests)`)
    }
    return url
  }

  private collect(
    request: HttpRequest,
    response: IncomingMessage,
    finish: (response: HttpResponse) => void,
    fail: (code: OperationalErrorCode, message: string) => void,
  ): void {
    const tooLarge = (): void => fail('too_large', `answer above ${request.bodyBytesMax} bytes`)
    const declared = Number(response.headers['content-length'] ?? 0)
    if (declared > request.bodyBytesMax) return tooLarge()
    const chunks: Buffer[] = []
    let received = 0
    response.on('data', (chunk: Buffer) => {
      received += chunk.length
      if (received > request.bodyBytesMax) return tooLarge()
      chunks.push(chunk)
    })
    response.on('error', (error) => fail(codeOf(error), error.message))
    response.on('aborted', () => fail('reset', 'the answer was cut short'))
    response.on('end', () => {
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
      }
      // A plain Uint8Array (one copy of the body), like every other port's bytes.
      const body = new Uint8Array(received)
      let at = 0
      for (const chunk of chunks) {
        body.set(chunk, at)
        at += chunk.length
      }
      finish({ status: response.statusCode ?? 0, headers, body })
    })
  }
}

/** dns.lookup that refuses (ENETUNREACH) any answer off loopback: names cannot leak traffic. */
function loopbackLookup(
  hostname: string,
  options: object,
  callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error !== null) return callback(error, [])
    const allowed = addresses.filter((a) => isLoopback(a.address))
    if (allowed.length === 0) {
      const refused = Object.assign(new Error(`${hostname} is not on loopback (tests)`), {
        code: 'ENETUNREACH',
      })
      return callback(refused, [])
    }
    const all = (options as { all?: boolean }).all === true
    const first = allowed[0] as LookupAddress
    if (all) callback(null, allowed)
    else callback(null, first.address, first.family)
  })
}

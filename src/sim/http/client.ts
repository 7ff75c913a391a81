import { isIPv4 } from '../../core/address.js'
import type {
  Callback,
  Clock,
  HttpClient,
  HttpExchange,
  HttpRequest,
  HttpResponse,
  Net,
  Resolver,
  StreamSocket,
  TimerHandle,
} from '../../core/env.js'
import { OperationalError, type OperationalErrorCode } from '../../core/errors.js'
import { err, ok } from '../../core/result.js'
import { after, elapsed, type Instant } from '../../core/time.js'
import { MessageReader, writeMessage, type ReadOutcome } from './message.js'

/**
 * The simulated HttpClient: real HTTP/1.1 bytes over the host's simulated stream sockets, so
 * an announce costs a connection set-up, round trips and bandwidth on the modelled network,
 * and fails as a real one does when the server's host is down, crashed or behind a NAT.
 * It needs only the host's own ports (Net, Resolver, Clock). `https:` URLs are carried as
 * plain HTTP (the simulator models no TLS) on port 443 unless another is given.
 */
export class SimHttpClient implements HttpClient {
  constructor(
    private readonly net: Net,
    private readonly resolver: Resolver,
    private readonly clock: Clock,
  ) {}

  request(request: HttpRequest, done: Callback<HttpResponse>): HttpExchange {
    const exchange = new Exchange(request, done, this.clock)
    const url = parseUrl(request.url)
    if (url instanceof OperationalError) {
      // From an event of its own, so that the callback never runs inside this call.
      this.clock.setTimer(this.clock.now(), () => exchange.fail(url.code, url.message))
      return exchange
    }
    this.resolver.resolve(
      url.hostname,
      (resolved) => {
        if (!resolved.ok) return exchange.fail(resolved.error.code, resolved.error.message)
        const host = resolved.value.find(isIPv4)
        if (host === undefined)
          return exchange.fail('not_found', `${url.hostname}: no IPv4 address`)
        const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port)
        exchange.connect(this.net, { host, port }, url)
      },
      { family: 4 },
    )
    return exchange
  }
}

function parseUrl(text: string): URL | OperationalError {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return new OperationalError('invalid_url', `${text}: not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return new OperationalError('invalid_url', `${text}: scheme ${url.protocol} is not http(s)`)
  }
  return url
}

/** One request's life: deadline, connection, request bytes out, answer in. */
class Exchange implements HttpExchange {
  private settled = false
  private socket: StreamSocket | undefined = undefined
  private readonly timer: TimerHandle
  private readonly deadline: Instant

  constructor(
    private readonly request: HttpRequest,
    private readonly done: Callback<HttpResponse>,
    private readonly clock: Clock,
  ) {
    this.deadline = after(clock.now(), request.timeout)
    this.timer = clock.setTimer(this.deadline, () =>
      this.fail('timeout', `no answer within ${request.timeout} ms`),
    )
  }

  abort(): void {
    this.settle()
  }

  fail(code: OperationalErrorCode, message: string): void {
    if (this.settle()) this.done(err(new OperationalError(code, `${this.request.url}: ${message}`)))
  }

  connect(net: Net, remote: { host: string; port: number }, url: URL): void {
    if (this.settled) return
    // The connect attempt gets what is left of the exchange's deadline.
    const left = elapsed(this.clock.now(), this.deadline)
    net.connect(
      remote,
      (connected) => {
        if (!connected.ok) return this.fail(connected.error.code, connected.error.message)
        const socket = connected.value
        if (this.settled) return socket.destroy()
        this.socket = socket
        this.exchange(socket, url)
      },
      { timeout: left },
    )
  }

  private exchange(socket: StreamSocket, url: URL): void {
    const request = this.request
    const body = request.body ?? new Uint8Array(0)
    const headers: Record<string, string> = {
      host: url.host,
      ...request.headers,
      connection: 'close',
    }
    if (request.body !== undefined) headers['content-length'] = String(body.length)
    const target = `${url.pathname}${url.search}`
    socket.write(writeMessage(`${request.method ?? 'GET'} ${target} HTTP/1.1`, headers, body))
    const reader = new MessageReader(request.bodyBytesMax, true)
    socket.onData((bytes) => this.handle(reader.push(bytes)))
    socket.onClose((reason) => {
      if (reason === 'end') return this.handle(reader.end())
      this.fail(reason === 'timeout' ? 'timeout' : 'reset', `connection closed (${reason})`)
    })
  }

  private handle(outcome: ReadOutcome): void {
    switch (outcome.kind) {
      case 'more':
        return
      case 'malformed':
        return this.fail('malformed', outcome.why)
      case 'too_large':
        return this.fail('too_large', `answer above ${this.request.bodyBytesMax} bytes`)
      case 'done': {
        const [version, code] = outcome.head.startLine
        const status = Number(code)
        if (!version.startsWith('HTTP/') || !Number.isInteger(status)) {
          return this.fail('malformed', `bad status line`)
        }
        if (this.settle('graceful')) {
          this.done(ok({ status, headers: outcome.head.headers, body: outcome.body }))
        }
      }
    }
  }

  /** Ends the exchange once: clears the deadline, closes the connection (reset on failure). */
  private settle(close: 'graceful' | 'reset' = 'reset'): boolean {
    if (this.settled) return false
    this.settled = true
    this.clock.clearTimer(this.timer)
    if (close === 'graceful') this.socket?.end()
    else this.socket?.destroy()
    return true
  }
}

import type { Address } from '../../core/address.js'
import type { Callback, Net, StreamListener, StreamSocket } from '../../core/env.js'
import { utf8 } from '../../core/bytes.js'
import { MessageReader, writeMessage } from './message.js'

export interface SimHttpRequest {
  readonly method: string
  /** The path and query as sent (`/announce?info_hash=...`). */
  readonly target: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
  /** The connection's far end (a NAT's public address when the client sits behind one). */
  readonly remote: Address
}

export interface SimHttpAnswer {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: Uint8Array
}

export type SimHttpHandler = (
  request: SimHttpRequest,
  respond: (answer: SimHttpAnswer) => void,
) => void

export interface SimHttpServerOptions {
  /** Request bodies above this get 413. Default 1 MiB. */
  readonly requestBodyBytesMax?: number
}

const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  400: 'Bad Request',
  404: 'Not Found',
  413: 'Content Too Large',
  500: 'Internal Server Error',
}

/**
 * An HTTP/1.1 server on a simulated host, for scenarios: a tracker, a directory. It listens on
 * the host's Net like any program, reads one request per connection, hands it to `handler`,
 * writes the answer with a Content-Length and closes. Since it runs on the host's life, a
 * crashed host's server is gone with it.
 */
export function serveHttp(
  net: Net,
  local: Address,
  handler: SimHttpHandler,
  ready: Callback<StreamListener>,
  options: SimHttpServerOptions = {},
): void {
  const bodyMax = options.requestBodyBytesMax ?? 1024 * 1024
  net.listen(local, (socket) => serveConnection(socket, handler, bodyMax), ready)
}

function serveConnection(socket: StreamSocket, handler: SimHttpHandler, bodyMax: number): void {
  const reader = new MessageReader(bodyMax, false)
  let answered = false
  const respond = (answer: SimHttpAnswer): void => {
    if (answered) return
    answered = true
    const body = answer.body ?? new Uint8Array(0)
    const reason = REASONS[answer.status] ?? 'Status'
    const headers = {
      ...answer.headers,
      'content-length': String(body.length),
      connection: 'close',
    }
    socket.write(writeMessage(`HTTP/1.1 ${answer.status} ${reason}`, headers, body))
    socket.end()
  }
  socket.onData((bytes) => {
    if (answered) return
    const outcome = reader.push(bytes)
    if (outcome.kind === 'more') return
    if (outcome.kind === 'malformed') return respond({ status: 400, body: utf8(outcome.why) })
    if (outcome.kind === 'too_large') return respond({ status: 413 })
    const [method, target] = outcome.head.startLine
    handler(
      { method, target, headers: outcome.head.headers, body: outcome.body, remote: socket.remote },
      respond,
    )
  })
  socket.onClose(() => {
    answered = true
  })
}

/**
 * HTTP/1.0 GET over an onion stream: the request line, then everything the server sends
 * until it closes. HTTP/1.0 keeps the body unchunked and delimited by the close.
 */
import type { OnionStream } from './circuit.js'

export interface HttpGetResult {
  readonly status: number
  readonly headers: string
  readonly body: Buffer
}

export async function httpGetOverStream(stream: OnionStream, url: URL): Promise<HttpGetResult> {
  // write, not end: a Tor stream has no half-close, and END would drop the answer.
  stream.write(
    `GET ${url.pathname}${url.search} HTTP/1.0\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`,
  )
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  const response = Buffer.concat(chunks)
  const headEnd = response.indexOf('\r\n\r\n')
  if (headEnd < 0) throw new Error('the server sent no complete HTTP header')
  const headers = response.subarray(0, headEnd).toString('latin1')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(headers)?.[1])
  if (!Number.isInteger(status)) throw new Error('the server sent no HTTP status line')
  return { status, headers, body: response.subarray(headEnd + 4) }
}

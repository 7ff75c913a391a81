/**
 * HTTP/1.0 GET over an onion stream (or TLS over one): the request line, then everything the
 * server sends until it closes. HTTP/1.0 keeps the body unchunked and delimited by the close.
 */
import type { Duplex } from 'node:stream'

export interface HttpGetResult {
  readonly status: number
  readonly headers: string
  readonly body: Buffer
}

/**
 * `maxBytes` bounds what is read (a tracker's answer is small; a hostile one is cut off):
 * past it the stream is destroyed and the GET fails.
 */
export async function httpGetOverStream(
  stream: Duplex,
  url: URL,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<HttpGetResult> {
  // write, not end: a Tor stream has no half-close, and END would drop the answer.
  stream.write(
    `GET ${url.pathname}${url.search} HTTP/1.0\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`,
  )
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    size += (chunk as Buffer).length
    if (size > maxBytes) {
      stream.destroy()
      throw new Error(`the answer is larger than ${maxBytes} bytes`)
    }
    chunks.push(chunk as Buffer)
  }
  const response = Buffer.concat(chunks)
  const headEnd = response.indexOf('\r\n\r\n')
  if (headEnd < 0) throw new Error('the server sent no complete HTTP header')
  const headers = response.subarray(0, headEnd).toString('latin1')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(headers)?.[1])
  if (!Number.isInteger(status)) throw new Error('the server sent no HTTP status line')
  return { status, headers, body: response.subarray(headEnd + 4) }
}

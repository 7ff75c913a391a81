import { connect } from 'node:net'

export interface RawResponse {
  readonly status: number
  /** Lowercased names. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer
}

/**
 * Sends `head` (request line and headers, without the blank line) and then `body` chunks as
 * given, and resolves with the first complete response (headers and `content-length` bytes)
 * without waiting for the connection to end. For tests of what a server answers before it has
 * read a body, which `fetch` cannot show: `fetch` sends the whole body first.
 */
export function rawHttp(
  port: number,
  head: string,
  body: readonly Uint8Array[] = [],
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let received = Buffer.alloc(0)
    const fail = (error: Error): void => {
      socket.destroy()
      reject(error)
    }
    socket.on('error', fail)
    socket.on('close', () => fail(new Error('closed before a complete response')))
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      const parsed = parseResponse(received)
      if (parsed === undefined) return
      socket.removeAllListeners('close')
      socket.destroy()
      resolve(parsed)
    })
    socket.write(`${head}\r\n\r\n`)
    for (const chunk of body) socket.write(chunk)
  })
}

function parseResponse(bytes: Buffer): RawResponse | undefined {
  const end = bytes.indexOf('\r\n\r\n')
  if (end < 0) return undefined
  const [statusLine = '', ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  const length = Number(headers['content-length'] ?? 0)
  const body = bytes.subarray(end + 4)
  if (body.length < length) return undefined
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.subarray(0, length) }
}

import type { IncomingMessage } from 'node:http'

export type BodyResult =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly status: number; readonly message: string }

/**
 * Reads a request body of at most `max` bytes. A declared length over the cap is refused
 * before reading; an undeclared (chunked) one is cut off as soon as it passes the cap, so a
 * client cannot make the server buffer more than `max` bytes.
 */
export function readBody(request: IncomingMessage, max: number): Promise<BodyResult> {
  const declared = Number(request.headers['content-length'] ?? Number.NaN)
  if (Number.isFinite(declared) && declared > max) {
    request.resume()
    return Promise.resolve({ ok: false, status: 413, message: `body over ${max} bytes` })
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    const finish = (result: BodyResult): void => {
      if (done) return
      done = true
      resolve(result)
    }
    request.on('data', (chunk: Buffer) => {
      if (done) return
      size += chunk.length
      if (size > max) {
        // Stop buffering; the rest of the upload is read and dropped, so the 413 still gets
        // through on this connection.
        chunks.length = 0
        finish({ ok: false, status: 413, message: `body over ${max} bytes` })
        return
      }
      chunks.push(chunk)
    })
    request.on('end', () => finish({ ok: true, bytes: new Uint8Array(Buffer.concat(chunks)) }))
    request.on('error', () => finish({ ok: false, status: 400, message: 'request aborted' }))
    request.on('close', () => finish({ ok: false, status: 400, message: 'request aborted' }))
  })
}

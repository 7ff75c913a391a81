/**
 * Plain-HTTP GETs of directory documents from the authorities' DirPorts (dir-spec §4),
 * with a size cap and a timeout. Tor authorities serve uncompressed text to a request
 * without Accept-Encoding.
 */
import { get } from 'node:http'

export const DIRECTORY_DOCUMENT_BYTES_MAX = 32 * 1024 * 1024

export function fetchDirectoryDocument(
  host: string,
  port: number,
  path: string,
  timeoutMs = 10_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = get({ host, port, path, timeout: timeoutMs }, (response) => {
      if (response.statusCode !== 200) {
        response.resume()
        reject(new Error(`GET ${path} from ${host}:${port}: HTTP ${response.statusCode}`))
        return
      }
      const chunks: Buffer[] = []
      let size = 0
      response.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > DIRECTORY_DOCUMENT_BYTES_MAX)
          request.destroy(new Error(`${path} larger than ${DIRECTORY_DOCUMENT_BYTES_MAX} bytes`))
        else chunks.push(chunk)
      })
      response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
      response.on('error', reject)
    })
    request.on('timeout', () =>
      request.destroy(new Error(`GET ${path} from ${host}:${port} timed out`)),
    )
    request.on('error', reject)
  })
}

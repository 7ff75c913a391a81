/**
 * The servent's HTTP side (Gnutella 0.6 draft section 4; HUGE 0.94): GET and HEAD of
 * `/get/<index>/<name>` and `/uri-res/N2R?urn:sha1:...`, one byte range per request.
 * Only files recorded by `scanShare` are served; at serving time the file is opened without
 * following a final symbolic link and its real path must still lie inside the shared root
 * (a directory swapped for a link after the scan is refused), and it must still have the
 * scanned length (else its URN would lie).
 */
import { constants } from 'node:fs'
import { open, realpath } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { sep } from 'node:path'
import type { Address } from '../../core/address.js'
import { contentRange, parseRange } from '../../protocols/gnutella/transfer/range.js'
import { parseTransferTarget } from '../../protocols/gnutella/transfer/target.js'
import type { SharedEntry, SharedFolder } from './share.js'

export interface TransferServerOptions {
  readonly folder: SharedFolder
  readonly bind: Address
  /** One line per refused request (bad target, bad range, file gone). */
  readonly log?: (line: string) => void
}

export interface TransferServer {
  readonly address: Address
  readonly server: Server
  close(): Promise<void>
}

const SERVER_NAME = 'plexus/0.1'

function refuse(res: ServerResponse, status: number, text: string, headers = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain', server: SERVER_NAME, ...headers })
  res.end(`${text}\n`)
}

function lookup(folder: SharedFolder, url: string): SharedEntry | string {
  const target = parseTransferTarget(url)
  if (target === undefined) return 'not a /get/ or /uri-res/N2R target'
  if (target.kind === 'urn') return folder.byUrn.get(target.urn) ?? `no file with ${target.urn}`
  const entry = folder.byIndex.get(target.fileIndex)
  if (entry === undefined || entry.fileName !== target.fileName)
    return `no file ${target.fileIndex}/${target.fileName}`
  return entry
}

async function serve(
  options: TransferServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const log = options.log ?? (() => undefined)
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return refuse(res, 405, 'GET or HEAD only', { allow: 'GET, HEAD' })
  const entry = lookup(options.folder, req.url ?? '')
  if (typeof entry === 'string') {
    log(`http 404 ${req.url ?? ''}: ${entry}`)
    return refuse(res, 404, 'Not Found')
  }
  const real = await realpath(entry.path).catch(() => undefined)
  if (real === undefined || !real.startsWith(options.folder.root + sep)) {
    log(`http 404 ${entry.fileName}: no longer inside the shared folder`)
    return refuse(res, 404, 'Not Found')
  }
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined)
  if (handle === undefined) return refuse(res, 404, 'Not Found')
  try {
    const stat = await handle.stat()
    if (!stat.isFile() || stat.size !== entry.length) {
      log(`http 404 ${entry.fileName}: changed since it was indexed`)
      return refuse(res, 404, 'Not Found')
    }
    const range = parseRange(req.headers.range, entry.length)
    if (range.kind === 'unsatisfiable') {
      log(`http 416 ${entry.fileName}: ${range.why}`)
      return refuse(res, 416, 'Requested Range Not Satisfiable', {
        'content-range': contentRange(range, entry.length),
      })
    }
    const start = range.kind === 'range' ? range.start : 0
    const end = range.kind === 'range' ? range.end : entry.length - 1
    res.writeHead(range.kind === 'range' ? 206 : 200, {
      server: SERVER_NAME,
      'content-type': 'application/binary',
      'content-length': String(Math.max(0, end - start + 1)),
      'accept-ranges': 'bytes',
      'x-gnutella-content-urn': entry.urn,
      ...(range.kind === 'range' ? { 'content-range': contentRange(range, entry.length) } : {}),
    })
    if (req.method === 'HEAD' || end < start) return void res.end()
    const stream = handle.createReadStream({ start, end, autoClose: false })
    await new Promise<void>((resolve) => {
      stream.on('error', () => {
        res.destroy()
        resolve()
      })
      res.on('close', () => {
        stream.destroy()
        resolve()
      })
      stream.pipe(res)
    })
  } finally {
    await handle.close().catch(() => undefined)
  }
}

export function startTransferServer(options: TransferServerOptions): Promise<TransferServer> {
  const server = createServer((req, res) => {
    serve(options, req, res).catch((error: unknown) => {
      options.log?.(`http 500 ${req.url ?? ''}: ${(error as Error).message}`)
      if (!res.headersSent) refuse(res, 500, 'Internal Server Error')
      else res.destroy()
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.bind.port, options.bind.host, () => {
      const info = server.address() as AddressInfo
      resolve({
        address: { host: info.address, port: info.port },
        server,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })
}

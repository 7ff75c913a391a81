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
import {
  isPushProxyPath,
  parsePushProxyRequest,
  type PushProxyRequest,
} from '../../protocols/gnutella/transfer/push-proxy-request.js'
import { contentRange, parseRange } from '../../protocols/gnutella/transfer/range.js'
import { parseTransferTarget } from '../../protocols/gnutella/transfer/target.js'
import type { SharedEntry, SharedFolder } from './share.js'

export interface TransferServerOptions {
  /** The shared files; without a folder every file request is 404 (a push proxy only). */
  readonly folder: SharedFolder | undefined
  readonly bind: Address
  /** One line per refused or queued request (bad target, bad range, file gone, busy). */
  readonly log?: (line: string) => void
  /** Uploads served at once (default 4). */
  readonly uploadSlots?: number
  /** Requests waiting for a slot, first come first served (default 16); beyond: 503 Busy. */
  readonly queueMax?: number
  /**
   * As a push proxy (push-proxy-request.ts): sends the Push to the leaf named, false when we
   * do not proxy it. Without it push-proxy requests are 404.
   */
  readonly pushProxy?: (request: PushProxyRequest) => boolean
}

export interface TransferServer {
  readonly address: Address
  readonly server: Server
  /** Uploads in progress and requests waiting for a slot. */
  uploads(): { readonly active: number; readonly queued: number }
  close(): Promise<void>
}

/** Upload slots with a FIFO queue: `acquire` resolves when a slot is ours, false when full. */
class UploadSlots {
  private active = 0
  private readonly waiting: (() => void)[] = []

  constructor(
    private readonly slots: number,
    private readonly queueMax: number,
  ) {}

  get counts(): { active: number; queued: number } {
    return { active: this.active, queued: this.waiting.length }
  }

  /** 'now', 'queued' (then `ready` resolves), or 'busy'. */
  acquire(): { state: 'now' | 'queued' | 'busy'; ready: Promise<void>; cancel: () => void } {
    if (this.active < this.slots) {
      this.active++
      return { state: 'now', ready: Promise.resolve(), cancel: () => undefined }
    }
    if (this.waiting.length >= this.queueMax)
      return { state: 'busy', ready: Promise.resolve(), cancel: () => undefined }
    let wake: () => void = () => undefined
    const ready = new Promise<void>((resolve) => (wake = resolve))
    this.waiting.push(wake)
    return {
      state: 'queued',
      ready,
      // The client left while waiting: its place goes.
      cancel: () => {
        const i = this.waiting.indexOf(wake)
        if (i >= 0) this.waiting.splice(i, 1)
      },
    }
  }

  release(): void {
    const next = this.waiting.shift()
    if (next === undefined) this.active--
    else next() // the slot passes straight to the next in line
  }
}

const SERVER_NAME = 'plexus/0.1'

function refuse(res: ServerResponse, status: number, text: string, headers = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain', server: SERVER_NAME, ...headers })
  res.end(`${text}\n`)
}

function lookup(folder: SharedFolder | undefined, url: string): SharedEntry | string {
  if (folder === undefined) return 'nothing shared'
  const target = parseTransferTarget(url)
  if (target === undefined) return 'not a /get/ or /uri-res/N2R target'
  if (target.kind === 'urn') return folder.byUrn.get(target.urn) ?? `no file with ${target.urn}`
  const entry = folder.byIndex.get(target.fileIndex)
  if (entry === undefined || entry.fileName !== target.fileName)
    return `no file ${target.fileIndex}/${target.fileName}`
  return entry
}

async function serveInSlot(
  options: TransferServerOptions,
  slots: UploadSlots,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (isPushProxyPath(req.url ?? '')) return answerPushProxy(options, req, res)
  const slot = slots.acquire()
  if (slot.state === 'busy') {
    options.log?.(`http 503 ${req.url ?? ''}: every upload slot and queue place taken`)
    return refuse(res, 503, 'Busy', { 'retry-after': '30' })
  }
  if (slot.state === 'queued') {
    options.log?.(`http queued ${req.url ?? ''}`)
    let gone = false
    res.once('close', () => {
      if (!res.writableFinished) gone = true
      slot.cancel()
    })
    await slot.ready
    if (gone) return slots.release()
  }
  try {
    await serve(options, req, res)
  } finally {
    slots.release()
  }
}

/** A downloader asks us, as push proxy, to have a firewalled leaf connect to it. */
function answerPushProxy(
  options: TransferServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const url = req.url ?? ''
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return refuse(res, 405, 'GET or HEAD only', { allow: 'GET, HEAD' })
  const xNode = req.headers['x-node']
  const request = parsePushProxyRequest(url, Array.isArray(xNode) ? xNode[0] : xNode)
  if (typeof request === 'string') {
    options.log?.(`http 400 ${url}: ${request}`)
    return refuse(res, 400, 'Bad Request')
  }
  if (options.pushProxy?.(request) !== true) {
    options.log?.(`http 404 ${url}: not a push proxy for that servent`)
    return refuse(res, 404, 'Not Found')
  }
  res.writeHead(202, { server: SERVER_NAME, 'content-length': '0' })
  res.end()
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
  if (real === undefined || !real.startsWith((options.folder?.root ?? '') + sep)) {
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
  const slots = new UploadSlots(options.uploadSlots ?? 4, options.queueMax ?? 16)
  const server = createServer((req, res) => {
    serveInSlot(options, slots, req, res).catch((error: unknown) => {
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
        uploads: () => slots.counts,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })
}
